local t = {}
error("req_error failed while loading")
return t
