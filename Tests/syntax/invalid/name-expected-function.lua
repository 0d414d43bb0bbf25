function 3() end
