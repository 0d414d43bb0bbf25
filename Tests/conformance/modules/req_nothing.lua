req_nothing_ran = true
