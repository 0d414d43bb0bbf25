do
  local y
  ::l::
end
goto l
