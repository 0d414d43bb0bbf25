local x = 1
#!/usr/bin/env luajit
