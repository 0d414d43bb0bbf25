local f = function()
