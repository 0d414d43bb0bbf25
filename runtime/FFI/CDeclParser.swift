/// The C declaration parser of `ffi.cdef`, `ffi.typeof`, `ffi.new` and `ffi.cast`: declaration
/// specifiers, declarators, records, enums and constant expressions, with luajit's error
/// messages (tokens come from `CLexer`).

/// A parse failure with luajit's message (`';' expected near 'y'`).
struct CDeclError: Error {
    let message: String
}

/// What `$` in a type string stands for: `ffi.typeof("$ *", ct)` and array sizes.
enum CTypeParameter {
    case type(CTypeID)
    case number(Int64)
    case other
}

/// What `typedef`, `extern` or `static` said about a declaration.
private enum CStorage { case none, typedef, `extern`, `static` }

/// Declaration specifiers: the base type and the storage class.
private struct CSpecifiers {
    var type: CTypeID
    var storage: CStorage
    var packed: Bool
    var align: Int
    /// A struct, union or enum was named or defined (so `struct foo;` alone declares something).
    var declaresTag: Bool
}

/// Whether a declarator names something: declarations must, parameters may, type names must not.
private enum CDeclaratorName { case required, optional, forbidden }

/// A declarator's effect on its base type, outermost last, and its name.
private struct CDeclarator {
    enum Part { case pointer(UInt8), reference, array(Int), function([CTypeID], Bool) }
    var name: String?
    var parts: [Part] = []
    var align = 0
}

/// Parses declarations against one `CTypeTable`.
struct CDeclParser {
    private var lexer: CLexer
    private var token: CToken = .end
    private let table: CTypeTable
    /// Type mode (`ffi.typeof`): tags must already exist and no name may be declared.
    private let typeMode: Bool
    /// Parentheses the declarator being read is nested in.
    private var levels = 0
    /// luajit's limits: nested parentheses, and pointers, dimensions and parameter lists of one declarator.
    private static let maximumLevels = 19
    private static let maximumParts = 99
    /// `#pragma pack`: the largest member alignment (nil: natural), and the pushed values.
    private var packing: Int? = nil
    private var packStack: [Int?] = []
    /// `$` stands for these, in order.
    private var typeParameters: [CTypeParameter]
    /// `__asm__("name")` of the declarator being read: the symbol to look up instead of its name.
    private var assemblerName: String? = nil

    init(_ source: [UInt8], table: CTypeTable, typeMode: Bool, parameters: [CTypeParameter] = []) throws(CDeclError) {
        lexer = CLexer(source)
        self.table = table
        self.typeMode = typeMode
        typeParameters = parameters
        try advance()
    }

    /// The next `$` parameter.
    private mutating func typeParameter() throws(CDeclError) -> CTypeParameter {
        if typeParameters.isEmpty { throw CDeclError(message: "wrong number of type parameters") }
        return typeParameters.removeFirst()
    }

    // MARK: entry points

    /// `ffi.cdef`: every declaration of the source.
    mutating func declarations() throws(CDeclError) {
        while token != .end {
            if try accept(";") { continue }
            let spec = try specifiers()
            if (check(";") || token == .end) && spec.declaresTag && spec.storage != .typedef {
                if token == .end { break }
                try advance()
                continue
            }
            while true {
                let d = try declarator(.required)
                try declare(spec, d)
                if try !accept(",") { break }
            }
            // The last declaration may end without its ';'.
            if token != .end { try expect(";") }
        }
    }

    /// `ffi.typeof("...")`: one abstract type and nothing after it.
    mutating func typeName() throws(CDeclError) -> CTypeID {
        let spec = try specifiers()
        if spec.storage != .none { throw CDeclError(message: "bad storage class near '\(storageName(spec.storage))'") }
        let d = try declarator(.forbidden)
        guard token == .end else { throw error(expected: "<eof>") }
        return try apply(d, to: spec.type)
    }

    // MARK: tokens

    private mutating func advance() throws(CDeclError) {
        token = try lexer.next()
        while case .pack(let directive) = token {
            switch directive {
            case .set(let n): packing = n.map { max(1, $0) }
            case .push(let n):
                packStack.append(packing)
                if let n { packing = max(1, n) }
            case .pop: packing = packStack.popLast() ?? nil
            }
            token = try lexer.next()
        }
    }

    private func check(_ p: String) -> Bool { token == .punctuation(p) }

    private mutating func accept(_ p: String) throws(CDeclError) -> Bool {
        if check(p) {
            try advance()
            return true
        }
        return false
    }

    private mutating func expect(_ p: String) throws(CDeclError) {
        guard check(p) else { throw error(expected: p) }
        try advance()
    }

    private func tokenText(_ t: CToken) -> String {
        switch t {
        case .identifier(let s): return s
        case .number(_, let text): return text
        case .string(let s): return "\"\(s)\""
        case .punctuation(let p): return p
        case .pack: return "#pragma"
        case .end: return "<eof>"
        }
    }

    private func located(_ message: String) -> CDeclError {
        CDeclError(message: lexer.line > 1 ? message + " at line \(lexer.line)" : message)
    }

    private func error(expected: String, near: String? = nil) -> CDeclError {
        located("'\(expected)' expected near '\(near ?? tokenText(token))'")
    }

    private func unexpected() -> CDeclError { located("unexpected symbol near '\(tokenText(token))'") }

    private var identifier: String? {
        if case .identifier(let s) = token { return s }
        return nil
    }

    private mutating func expectIdentifier() throws(CDeclError) -> String {
        guard let name = identifier else { throw error(expected: "<identifier>") }
        try advance()
        return name
    }

    private func storageName(_ s: CStorage) -> String {
        switch s {
        case .typedef: return "typedef"
        case .extern: return "extern"
        case .static: return "static"
        case .none: return ""
        }
    }

    // MARK: attributes

    /// Words that qualify nothing we model (calling conventions, `inline`, `__extension__`).
    private static let ignoredWords: Set<String> = [
        "__cdecl", "__stdcall", "__fastcall", "__thiscall", "_cdecl", "__ptr32", "__ptr64", "inline",
        "__inline", "__inline__", "__extension__", "restrict", "__restrict", "__restrict__", "register",
        "auto", "__w64", "_Noreturn",
    ]

    /// Skips `__attribute__((...))`, `__declspec(...)` and `__asm__("...")`, noting `packed`
    /// and `aligned(n)`; returns whether it consumed any.
    private mutating func attributes(packed: inout Bool, align: inout Int) throws(CDeclError) -> Bool {
        guard let word = identifier else { return false }
        if CDeclParser.ignoredWords.contains(word) { try advance(); return true }
        guard ["__attribute__", "__attribute", "__declspec", "__asm__", "__asm", "asm"].contains(word) else { return false }
        try advance()
        try expect("(")
        var depth = 1
        var previous = ""
        while depth > 0 {
            switch token {
            case .end: throw error(expected: ")")
            case .punctuation("("): depth += 1
            case .punctuation(")"): depth -= 1
            case .identifier(let s):
                if s == "packed" || s == "__packed__" { packed = true }
                if s == "aligned" || s == "__aligned__" { align = max(align, 16) }
            case .number(let n, _):
                // Alignments beyond 2^16 are refused later as a size too large.
                if previous == "aligned" || previous == "__aligned__" { align = Int(max(1, min(n, 1 << 16))) }
            case .string(let s):
                if word.hasPrefix("__asm") || word == "asm" { assemblerName = s }
            default: break
            }
            if case .identifier(let s) = token { previous = s } else if !check("(") { previous = "" }
            try advance()
        }
        return true
    }

    // MARK: specifiers

    private mutating func specifiers() throws(CDeclError) -> CSpecifiers {
        var storage = CStorage.none
        var qualifiers: UInt8 = 0
        var packed = false, align = 0
        var longs = 0, signedness: Bool? = nil, short = false, complex = false
        var word: String? = nil  // void char int float double bool
        var named: CTypeID? = nil
        var seenAny = false
        var declaresTag = false
        loop: while true {
            if try attributes(packed: &packed, align: &align) { continue }
            if check("$") && named == nil && word == nil {
                guard case .type(let id) = try typeParameter() else {
                    throw located("declaration specifier expected near '$'")
                }
                named = id
                seenAny = true
                try advance()
                continue
            }
            guard let w = identifier else { break }
            switch w {
            case "typedef": storage = .typedef
            case "extern": storage = .extern
            case "static": storage = .static
            case "const", "__const", "__const__": qualifiers |= CQualifier.const
            case "volatile", "__volatile", "__volatile__": qualifiers |= CQualifier.volatile
            case "signed", "__signed", "__signed__": signedness = true
            case "unsigned": signedness = false
            case "short": short = true
            case "long": longs += 1
            case "_Complex", "complex", "__complex__", "__complex": complex = true
            case "void", "char", "int", "float", "double", "bool", "_Bool", "__int8", "__int16", "__int32", "__int64":
                if let existing = word, existing == w || (existing != "int" && w != "int") { break loop }
                if word == nil || word == "int" { word = w }
            case "struct", "union":
                if named != nil || word != nil { break loop }
                try advance()
                named = try record(union: w == "union", packed: &packed)
                seenAny = true
                declaresTag = true
                continue
            case "enum":
                if named != nil || word != nil { break loop }
                try advance()
                named = try enumeration()
                seenAny = true
                declaresTag = true
                continue
            default:
                if named != nil || word != nil || longs > 0 || short || signedness != nil { break loop }
                if let t = table.typedefs[w] { named = t } else { break loop }
            }
            seenAny = true
            try advance()
        }
        guard seenAny else { throw located("declaration specifier expected near '\(tokenText(token))'") }
        var type: CTypeID
        if let named {
            type = named
        } else {
            let unsigned = signedness == false
            switch word {
            case "void": type = CTypeBuiltin.void
            case "bool", "_Bool": type = CTypeBuiltin.bool
            case "char", "__int8": type = unsigned ? CTypeBuiltin.uint8 : CTypeBuiltin.int8
            case "float": type = complex ? CTypeBuiltin.complexFloat : CTypeBuiltin.float
            case "double": type = complex ? CTypeBuiltin.complexDouble : longs > 0 ? CTypeBuiltin.longDouble : CTypeBuiltin.double
            case "__int16": type = unsigned ? CTypeBuiltin.uint16 : CTypeBuiltin.int16
            case "__int32": type = unsigned ? CTypeBuiltin.uint32 : CTypeBuiltin.int32
            case "__int64": type = unsigned ? CTypeBuiltin.uint64 : CTypeBuiltin.int64
            default:
                if complex && word == nil && longs == 0 && !short && signedness == nil { type = CTypeBuiltin.complexDouble }
                else if short { type = unsigned ? CTypeBuiltin.uint16 : CTypeBuiltin.int16 }
                else if longs > 0 { type = unsigned ? CTypeBuiltin.uint64 : CTypeBuiltin.int64 }
                else { type = unsigned ? CTypeBuiltin.uint32 : CTypeBuiltin.int32 }
            }
        }
        type = table.qualified(type, qualifiers)
        return CSpecifiers(type: type, storage: storage, packed: packed, align: align, declaresTag: declaresTag)
    }

    /// `struct`/`union` after its keyword: a tag, a body, or both.
    private mutating func record(union: Bool, packed outerPacked: inout Bool) throws(CDeclError) -> CTypeID {
        var packed = false, align = 0
        while try attributes(packed: &packed, align: &align) {}
        let keyword = union ? "union" : "struct"
        var tag: String? = nil
        if let name = identifier {
            tag = name
            try advance()
        }
        while try attributes(packed: &packed, align: &align) {}
        guard check("{") else {
            guard let tag else { throw error(expected: "<identifier>") }
            if let id = table.tags[keyword + " " + tag] { return id }
            if typeMode { throw located("undeclared or implicit tag '\(tag)'") }
            let id = table.addUnique(CType(kind: union ? .union : .structure, size: -1, align: 1, name: tag, isComplete: false))
            table.tags[keyword + " " + tag] = id
            return id
        }
        let id: CTypeID
        if let tag, let existing = table.tags[keyword + " " + tag] {
            if table[existing].isComplete { throw located("attempt to redefine '\(tag)'") }
            id = existing
        } else {
            id = table.addUnique(CType(kind: union ? .union : .structure, size: -1, align: 1, name: tag ?? "", isComplete: false))
            if let tag { table.tags[keyword + " " + tag] = id }
        }
        try advance()
        var fields: [CField] = []
        var variableLength = false
        while try !accept("}") {
            if token == .end { throw error(expected: "}") }
            let spec = try specifiers()
            if check(";") && table[spec.type].isRecord {
                // An anonymous struct or union member.
                fields.append(CField(name: "", type: spec.type, offset: 0))
                try advance()
                continue
            }
            while true {
                var d = try declarator(.required)
                guard let name = d.name else { throw error(expected: "<identifier>") }
                var width = -1
                if check(":") {
                    let colon = token
                    try advance()
                    let w = try constantExpression()
                    let t = table[table.unqualified(try apply(d, to: spec.type))]
                    guard t.kind == .integer || t.kind == .bool || t.kind == .enumeration, w > 0 || (w == 0 && d.name == nil),
                          w <= Int64(max(t.size, 0) * 8) else {
                        throw located("invalid value near '\(tokenText(colon))'")
                    }
                    width = Int(w)
                }
                if spec.align > d.align { d.align = spec.align }
                let type = try apply(d, to: spec.type)
                if spec.storage == .static {
                    // `static const int K = 5;` inside a record: a constant of the type.
                    try expect("=")
                    table.constants["\(id).\(name)"] = (type, try constantExpression())
                } else {
                    if case .array(let n)? = d.parts.last, n == CArrayLength.variable { variableLength = true }
                    var field = CField(name: name, type: type, offset: 0, bitWidth: width)
                    if d.align > 0 { field.value = Int64(d.align) }
                    fields.append(field)
                }
                if try !accept(",") { break }
            }
            try expect(";")
        }
        while try attributes(packed: &packed, align: &align) {}
        if packed { outerPacked = true }
        var laid = fields
        guard let (size, recordAlign) = layoutRecord(&laid, union: union, packed: packed, align: align) else {
            throw located("size of C type is unknown or too large")
        }
        var t = table[id]
        t.fields = table.members(laid)
        t.size = size
        t.align = recordAlign
        t.isComplete = true
        t.isVariableLength = variableLength
        table.update(id, t)
        return id
    }

    /// Lays out a record, honouring members' own `aligned(n)` (kept in `value` while parsing).
    private func layoutRecord(_ fields: inout [CField], union: Bool, packed: Bool, align: Int) -> (Int, Int)? {
        var size = 0, recordAlign = max(1, align)
        if fields.contains(where: { $0.value > 0 }) {
            var offset = 0
            for i in fields.indices {
                let t = table[fields[i].type]
                if t.size < 0 && !(t.kind == .array && i == fields.count - 1) { return nil }
                let natural = max(1, min(packed ? 1 : t.align, packing ?? Int.max))
                let a = max(natural, Int(fields[i].value))
                fields[i].value = 0
                offset = union ? 0 : (offset + a - 1) / a * a
                fields[i].offset = offset
                offset += max(t.size, 0)
                size = max(size, offset)
                recordAlign = max(recordAlign, a)
            }
            return ((size + recordAlign - 1) / recordAlign * recordAlign, recordAlign)
        }
        guard let r = table.layout(&fields, union: union, packed: packed, minimumAlign: align, maximumAlign: packing) else { return nil }
        return (r.size, r.align)
    }

    /// `enum` after its keyword; constants become visible through `ffi.C`.
    private mutating func enumeration() throws(CDeclError) -> CTypeID {
        var packed = false, align = 0
        while try attributes(packed: &packed, align: &align) {}
        var tag: String? = nil
        if let name = identifier {
            tag = name
            try advance()
        }
        guard check("{") else {
            guard let tag else { throw error(expected: "<identifier>") }
            if let id = table.tags["enum " + tag] { return id }
            if typeMode { throw located("undeclared or implicit tag '\(tag)'") }
            let id = table.addUnique(CType(kind: .enumeration, size: 4, align: 4, element: CTypeBuiltin.uint32, name: tag))
            table.tags["enum " + tag] = id
            return id
        }
        if let tag, let existing = table.tags["enum " + tag], !table[existing].fields.isEmpty {
            throw located("attempt to redefine '\(tag)'")
        }
        try advance()
        let id = table.tags[tag.map { "enum " + $0 } ?? ""]
            ?? table.addUnique(CType(kind: .enumeration, size: 4, align: 4, element: CTypeBuiltin.uint32, name: tag ?? ""))
        if let tag { table.tags["enum " + tag] = id }
        var constants: [CField] = []
        var next: Int64 = 0
        var negative = false
        while try !accept("}") {
            let name = try expectIdentifier()
            if try accept("=") { next = try constantExpression() }
            if next < 0 { negative = true }
            constants.append(CField(name: name, type: id, offset: 0, value: next))
            table.constants[name] = (id, next)
            next &+= 1
            if try !accept(",") {
                try expect("}")
                break
            }
        }
        while try attributes(packed: &packed, align: &align) {}
        var t = table[id]
        t.fields = table.members(constants)
        t.element = negative ? CTypeBuiltin.int32 : CTypeBuiltin.uint32
        t.isUnsigned = !negative
        table.update(id, t)
        return id
    }

    // MARK: declarators

    /// Whether the token after `(` starts a parameter list rather than a nested declarator.
    private func startsParameters() -> Bool {
        guard let w = identifier else { return check(")") || check("...") }
        if table.typedefs[w] != nil { return true }
        return ["void", "char", "short", "int", "long", "float", "double", "signed", "unsigned", "bool", "_Bool",
                "struct", "union", "enum", "const", "volatile", "complex", "_Complex", "__const", "__int8",
                "__int16", "__int32", "__int64", "register"].contains(w)
    }

    private mutating func declarator(_ naming: CDeclaratorName) throws(CDeclError) -> CDeclarator {
        let outerLevels = levels
        defer { levels = outerLevels }
        var d = CDeclarator()
        var pointers: [CDeclarator.Part] = []
        var packed = false
        while true {
            if try attributes(packed: &packed, align: &d.align) { continue }
            var isPointer = try accept("*")
            if !isPointer { isPointer = try accept("^") }
            if isPointer {
                var q: UInt8 = 0
                while let w = identifier {
                    if w == "const" || w == "__const" { q |= CQualifier.const } else if w == "volatile" { q |= CQualifier.volatile } else if try attributes(packed: &packed, align: &d.align) { continue } else { break }
                    try advance()
                }
                pointers.append(.pointer(q))
            } else if try accept("&") {
                pointers.append(.reference)
            } else {
                break
            }
        }
        var inner: CDeclarator? = nil
        if check("(") {
            // `(` opens a nested declarator unless parameters follow.
            let saved = (lexer, token)
            try advance()
            if startsParameters() {
                (lexer, token) = saved
            } else {
                try nest()
                inner = try declarator(naming)
                try expect(")")
            }
        } else if let name = identifier, naming != .forbidden, naming == .required || !startsParameters() {
            if !CDeclParser.ignoredWords.contains(name) {
                d.name = name
                try advance()
            }
        }
        if naming == .required && d.name == nil && inner?.name == nil { throw error(expected: "<identifier>") }
        var suffixes: [CDeclarator.Part] = []
        while true {
            if try attributes(packed: &packed, align: &d.align) { continue }
            if try accept("[") {
                var length = CArrayLength.open
                if try accept("?") {
                    length = CArrayLength.variable
                } else if !check("]") {
                    let n = try constantExpression()
                    if n < 0 || n > 0x7fff_ffff { throw located("size of C type is unknown or too large") }
                    length = Int(n)
                }
                try expect("]")
                suffixes.append(.array(length))
            } else if check("(") {
                try advance()
                suffixes.append(try parameters())
            } else {
                break
            }
        }
        // Suffixes bind tighter than pointers: `int *a[3]` is an array of pointers.
        d.parts = pointers + suffixes.reversed()
        if let inner {
            d.parts += inner.parts
            d.name = inner.name
            d.align = max(d.align, inner.align)
        }
        if d.parts.count > CDeclParser.maximumParts { throw located("chunk has too many syntax levels") }
        return d
    }

    /// One more level of parentheses; past luajit's limit the declaration is refused.
    private mutating func nest() throws(CDeclError) {
        levels += 1
        if levels > CDeclParser.maximumLevels { throw located("chunk has too many syntax levels") }
    }

    /// A parameter list after its `(`.
    private mutating func parameters() throws(CDeclError) -> CDeclarator.Part {
        var types: [CTypeID] = []
        var variadic = false
        if try accept(")") { return .function([], false) }
        while true {
            if try accept("...") { variadic = true; break }
            let spec = try specifiers()
            let d = try declarator(.optional)
            var t = try apply(d, to: spec.type)
            let resolved = table[t]
            if resolved.kind == .void && d.parts.isEmpty {
                if !types.isEmpty || !check(")") { throw error(expected: ")") }
                break
            }
            if resolved.kind == .array { t = table.pointer(to: resolved.element) }
            if resolved.kind == .function { t = table.pointer(to: t) }
            types.append(t)
            if try !accept(",") { break }
        }
        try expect(")")
        return .function(types, variadic)
    }

    /// The type a declarator makes of its base type.
    private func apply(_ d: CDeclarator, to base: CTypeID) throws(CDeclError) -> CTypeID {
        var t = base
        for part in d.parts {
            switch part {
            case .pointer(let q): t = table.pointer(to: t, qualifiers: q)
            case .reference: t = table.reference(to: t)
            case .array(let n):
                let e = table[t]
                if e.size < 0 && e.kind != .void { throw located("size of C type is unknown or too large") }
                if e.kind == .void || e.kind == .function { throw located("invalid C type") }
                t = table.array(of: t, length: n)
                if n >= 0 && table[t].size < 0 { throw located("size of C type is unknown or too large") }
            case .function(let params, let variadic):
                t = table.function(returning: t, parameters: params, variadic: variadic)
            }
        }
        return t
    }

    /// Records what one declarator of `ffi.cdef` names.
    private mutating func declare(_ spec: CSpecifiers, _ d: CDeclarator) throws(CDeclError) {
        guard let name = d.name else { throw error(expected: "<identifier>") }
        let type = try apply(d, to: spec.type)
        switch spec.storage {
        case .typedef:
            table.typedefs[name] = type
        case .static:
            try expect("=")
            table.constants[name] = (type, try constantExpression())
        default:
            if check("=") { throw error(expected: ";") }
            table.symbols[name] = type
            if let assemblerName { table.symbolNames[name] = assemblerName }
        }
        assemblerName = nil
    }

    // MARK: constant expressions

    mutating func constantExpression() throws(CDeclError) -> Int64 {
        let c = try binary(0)
        if try accept("?") {
            let a = try constantExpression()
            try expect(":")
            let b = try constantExpression()
            return c != 0 ? a : b
        }
        return c
    }

    private static let precedence: [String: Int] = [
        "||": 1, "&&": 2, "|": 3, "^": 4, "&": 5, "==": 6, "!=": 6, "<": 7, ">": 7, "<=": 7, ">=": 7,
        "<<": 8, ">>": 8, "+": 9, "-": 9, "*": 10, "/": 10, "%": 10,
    ]

    private mutating func binary(_ limit: Int) throws(CDeclError) -> Int64 {
        var left = try unary()
        while case .punctuation(let op) = token, let p = CDeclParser.precedence[op], p > limit {
            try advance()
            let right = try binary(p)
            switch op {
            case "||": left = (left != 0 || right != 0) ? 1 : 0
            case "&&": left = (left != 0 && right != 0) ? 1 : 0
            case "|": left |= right
            case "^": left ^= right
            case "&": left &= right
            case "==": left = left == right ? 1 : 0
            case "!=": left = left != right ? 1 : 0
            case "<": left = left < right ? 1 : 0
            case ">": left = left > right ? 1 : 0
            case "<=": left = left <= right ? 1 : 0
            case ">=": left = left >= right ? 1 : 0
            case "<<": left = left << (right & 63)
            case ">>": left = left >> (right & 63)
            case "+": left = left &+ right
            case "-": left = left &- right
            case "*": left = left &* right
            default:
                if right == 0 { throw located("division by zero near '\(tokenText(token))'") }
                if right == -1 { left = op == "/" ? 0 &- left : 0 } else { left = op == "/" ? left / right : left % right }
            }
        }
        return left
    }

    private mutating func unary() throws(CDeclError) -> Int64 {
        switch token {
        case .number(let n, _):
            try advance()
            return n
        case .punctuation("$"):
            guard case .number(let n) = try typeParameter() else { throw unexpected() }
            try advance()
            return n
        case .punctuation("-"): try advance(); return 0 &- (try unary())
        case .punctuation("+"): try advance(); return try unary()
        case .punctuation("~"): try advance(); return ~(try unary())
        case .punctuation("!"): try advance(); return (try unary()) == 0 ? 1 : 0
        case .punctuation("("):
            try advance()
            if startsParameters() {
                // A cast: `(int)x`.
                _ = try specifiers()
                _ = try declarator(.optional)
                try expect(")")
                return try unary()
            }
            let v = try constantExpression()
            try expect(")")
            return v
        case .identifier("sizeof"), .identifier("__alignof__"), .identifier("__alignof"), .identifier("alignof"):
            let isSize = token == .identifier("sizeof")
            try advance()
            try expect("(")
            let spec = try specifiers()
            let d = try declarator(.optional)
            let t = table[try apply(d, to: spec.type)]
            try expect(")")
            if t.size < 0 { throw located("size of C type is unknown or too large") }
            return Int64(isSize ? t.size : t.align)
        case .identifier(let name):
            if let (_, value) = table.constants[name] {
                try advance()
                return value
            }
            throw unexpected()
        default:
            throw unexpected()
        }
    }
}
