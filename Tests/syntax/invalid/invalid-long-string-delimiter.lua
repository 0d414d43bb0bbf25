x = [=x
