module(..., package.seeall)

counter = 0

function bump(n)
  counter = counter + (n or 1)
  return counter
end

function describe()
  return _NAME .. " [" .. _PACKAGE .. "] " .. tostring(_M == package.loaded[_NAME]) .. " " .. type(print)
end
