function a.b:c.d() end
