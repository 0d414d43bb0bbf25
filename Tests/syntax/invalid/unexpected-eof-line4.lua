local x =
  1 +


