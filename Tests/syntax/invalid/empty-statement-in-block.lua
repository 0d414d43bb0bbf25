do ; end
