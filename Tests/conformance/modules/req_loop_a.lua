return { b = require("req_loop_b") }
