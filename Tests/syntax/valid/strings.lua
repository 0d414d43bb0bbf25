-- String literal forms: quotes, every escape, long brackets of several levels.
-- Note: LuaJIT 2.1.0-beta3 limits \u{...} to U+10FFFF and rejects the surrogates
-- U+D800..U+DFFF, so \u{7FFFFFFF} is a syntax error there (see ../invalid).
local function bytes(s) return table.concat({s:byte(1, -1)}, " ") end

assert(bytes("\a\b\f\n\r\t\v\\\"\'") == "7 8 12 10 13 9 11 92 34 39")
assert(bytes('\a\b\f\n\r\t\v\\\"\'') == "7 8 12 10 13 9 11 92 34 39")
assert("\65\066\0067" == "AB\0067" and #"\0067" == 2)
assert(bytes("\0\1\255") == "0 1 255")
assert(bytes("\0009") == "0 57")
assert("\x41\x62\x7A\x7a" == "Abzz" and bytes("\x00\xff\xFF") == "0 255 255")
assert("\u{48}\u{69}" == "Hi")
assert(bytes("\u{0}") == "0" and bytes("\u{7F}") == "127")
assert(bytes("\u{80}") == "194 128" and bytes("\u{7FF}") == "223 191")
assert(bytes("\u{800}") == "224 160 128" and bytes("\u{FFFF}") == "239 191 191")
assert(bytes("\u{10000}") == "240 144 128 128")
assert(bytes("\u{10FFFF}") == "244 143 191 191")
assert("\u{000000041}" == "A" and "\u{e9}" == "\195\169")
-- \z skips the following whitespace, including newlines.
local z = "abc\z
           def\z      ghi"
assert(z == "abcdefghi")
assert("a\z" == "a")
-- Backslash-newline inserts a newline.
local bn = "line1\
line2"
assert(bn == "line1\nline2")
local bcr = 'x\
y'
assert(bcr == "x\ny")
-- Quotes of the other kind need no escape.
assert('"' == "\"" and "'" == '\'')
assert(#"" == 0 and #'' == 0)

-- Long brackets: the first newline is skipped, no escapes are processed.
local l0 = [[
a\nb]]
assert(l0 == "a\\nb")
local l1 = [=[]]]=]
assert(l1 == "]]")
local l2 = [==[ ]] ]=] ]==]
assert(l2 == " ]] ]=] ")
local l3 = [===[[[ [=[ ]=] ]]]===]
assert(l3 == "[[ [=[ ]=] ]]")
assert([[]] == "" and [==[]==] == "")
local l4 = [[

two]]
assert(l4 == "\ntwo")
local l5 = [[a
b
c]]
assert(l5 == "a\nb\nc")
assert([[ " ' \ ]] == " \" ' \\ ")
print("ok")
