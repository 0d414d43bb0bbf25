goto 1
