if then end
