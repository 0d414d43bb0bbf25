x = 'ab\qcd'
