x = nil nil
