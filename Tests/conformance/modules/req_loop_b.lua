return { a = require("req_loop_a") }
