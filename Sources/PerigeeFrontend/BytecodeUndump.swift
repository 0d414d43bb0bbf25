/// Reading binary chunks (the format of BytecodeDump.swift) back into prototypes, and the
/// verifier that makes a loaded chunk safe to run: a truncated, corrupted or hostile dump is
/// refused with a message, never left to crash the interpreter later.
///
/// The interpreter trusts its bytecode (no checks on the hot path), so everything it relies
/// on is checked here once: lengths and counts, operand ranges per opcode (registers inside
/// the frame, constants of the right kind, upvalues, jump targets), the instruction pairs it
/// reads together (a comparison and its JMP, ITERC/ITERN and their ITERL, ISNEXT and its
/// ITERN), that no path runs off the end, and that every instruction consuming a variable
/// number of results (CALLM, CALLMT, RETM, TSETM) is reached only right after the
/// instruction that produced them, at the register it expects.

/// Deepest nesting of functions accepted (the parser stops at its syntax-level limit first).
let maxPrototypeDepth = 200
/// Largest frame the frontend emits.
let maxFrameSize = Int(maxSlots)

/// Whether `bytes` starts with Perigee's binary chunk signature.
public func isBytecodeDump(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    bytes.count >= bytecodeDumpSignature.count && bytes[0] == bytecodeDumpSignature[0]
        && bytes[1] == bytecodeDumpSignature[1] && bytes[2] == bytecodeDumpSignature[2]
}

/// The name messages use for a chunk: as LuaJIT does, a chunk named by its own binary text
/// (`loadstring(dump)`) is called `(binary)`.
public func shortBinaryChunkName(_ chunkName: String) -> String {
    chunkName.utf8.first == 0x1b ? "(binary)" : shortChunkName(chunkName)
}

/// Reads a binary chunk written by `dumpBytecode` into a prototype tree (with a new string
/// pool) and verifies every prototype in it. The prototypes keep the chunk name stored in
/// the dump; `chunkName` names the chunk in error messages.
public func loadBytecodeDump(_ bytes: UnsafeBufferPointer<UInt8>, chunkName: String) throws(LuaSyntaxError) -> Prototype {
    let name = shortBinaryChunkName(chunkName)
    var reader = DumpReader(bytes: bytes)
    let proto: Prototype
    do {
        proto = try reader.readChunk()
    } catch {
        switch error {
        case .incompatible:
            throw LuaSyntaxError(message: "\(name): cannot load incompatible bytecode")
        case .malformed(let detail):
            throw LuaSyntaxError(message: "\(name): cannot load malformed bytecode (\(detail))")
        }
    }
    if let problem = verifyBytecode(proto) {
        throw LuaSyntaxError(message: "\(name): cannot load malformed bytecode (\(problem))")
    }
    return proto
}

public func loadBytecodeDump(_ bytes: [UInt8], chunkName: String) throws(LuaSyntaxError) -> Prototype {
    try bytes.withUnsafeBufferPointer { (buffer) throws(LuaSyntaxError) in try loadBytecodeDump(buffer, chunkName: chunkName) }
}

enum UndumpError: Error {
    case incompatible
    case malformed(String)
}

/// A cursor over the dump; every read is checked against the bytes left.
struct DumpReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var pos = 0
    var end: Int
    var strip = false
    var chunkName = ""
    var pool = StringPool(StringInterner())

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        end = bytes.count
    }

    var remaining: Int { end - pos }

    func truncated() -> UndumpError { .malformed("unexpected end of chunk") }

    mutating func byte() throws(UndumpError) -> UInt8 {
        guard pos < end else { throw truncated() }
        let b = bytes[pos]
        pos += 1
        return b
    }

    mutating func uleb() throws(UndumpError) -> UInt64 {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            let bits = UInt64(b & 0x7f)
            if shift == 63 && bits > 1 || shift > 63 { throw .malformed("number too large") }
            v |= bits << shift
            if b < 0x80 { return v }
            shift += 7
        }
    }

    /// A ULEB128 count or size no larger than `limit`.
    mutating func count(_ limit: Int, _ what: String) throws(UndumpError) -> Int {
        let v = try uleb()
        guard v <= UInt64(limit) else { throw .malformed("\(what) out of range") }
        return Int(v)
    }

    mutating func u64() throws(UndumpError) -> UInt64 {
        guard remaining >= 8 else { throw truncated() }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[pos + i]) << (8 * UInt64(i)) }
        pos += 8
        return v
    }

    mutating func rawString() throws(UndumpError) -> UnsafeBufferPointer<UInt8> {
        let n = try uleb()
        guard n <= UInt64(remaining) else { throw truncated() }
        let s = UnsafeBufferPointer(rebasing: bytes[pos ..< pos + Int(n)])
        pos += Int(n)
        return s
    }

    mutating func string() throws(UndumpError) -> StringID {
        let s = try rawString()
        return pool.interner.intern(s.baseAddress ?? emptyStringBytes, s.count)
    }

    mutating func readChunk() throws(UndumpError) -> Prototype {
        guard isBytecodeDump(bytes) else { throw .incompatible }
        pos = bytecodeDumpSignature.count
        guard try byte() == bytecodeDumpVersion else { throw .incompatible }
        let flags = try byte()
        guard flags & ~1 == 0 else { throw .incompatible }
        strip = flags & 1 != 0
        let name = try rawString()
        chunkName = String(decoding: name, as: UTF8.self)
        // Prototypes come children first; a parent takes its children off this stack.
        var pending: [Prototype] = []
        var depths: [Int] = []
        while true {
            let size = try uleb()
            if size == 0 { break }
            guard size <= UInt64(remaining) else { throw truncated() }
            let bodyEnd = pos + Int(size)
            let savedEnd = end
            end = bodyEnd
            let (proto, childCount) = try prototype()
            guard pos == bodyEnd else { throw .malformed("prototype size mismatch") }
            end = savedEnd
            guard childCount <= pending.count else { throw .malformed("missing child prototype") }
            // The children, in constant order, are the last `childCount` prototypes read.
            let first = pending.count - childCount
            var children = pending[first...].makeIterator()
            var depth = 1
            for d in depths[first...] { depth = max(depth, d + 1) }
            guard depth <= maxPrototypeDepth else { throw .malformed("functions nested too deeply") }
            for i in proto.gcConstants.indices {
                if case .function = proto.gcConstants[i] { proto.gcConstants[i] = .function(children.next()!) }
            }
            pending.removeLast(childCount)
            depths.removeLast(childCount)
            pending.append(proto)
            depths.append(depth)
        }
        guard pos == end else { throw .malformed("trailing bytes after chunk") }
        guard pending.count == 1 else {
            throw .malformed(pending.isEmpty ? "no main function" : "prototypes not used by the main function")
        }
        return pending[0]
    }

    /// One prototype body, its child constants still placeholders (the prototype itself).
    mutating func prototype() throws(UndumpError) -> (Prototype, Int) {
        let flags = try byte()
        let parameterCount = try byte()
        let frameSize = try byte()
        let upvalueCount = try count(maxUpvalues, "upvalue count")
        let gcCount = try count(min(Int(maxD) + 1, remaining), "constant count")
        let numberCount = try count(min(Int(maxD) + 1, remaining / 8), "number constant count")
        let bytecodeCount = try count(remaining / 4, "instruction count")
        let firstLine = try count(Int(Int32.max), "first line")
        let lineCount = try count(Int(Int32.max) - firstLine, "line count")
        guard bytecodeCount >= 1 else { throw .malformed("function without code") }
        guard 4 * bytecodeCount <= remaining else { throw truncated() }
        let proto = Prototype(firstLine: Int32(firstLine), chunkName: chunkName, strings: pool)
        proto.lastLine = Int32(firstLine + lineCount)
        proto.flags = PrototypeFlags(rawValue: flags)
        proto.parameterCount = parameterCount
        proto.frameSize = frameSize
        var code = [Instruction](repeating: Instruction(raw: 0), count: bytecodeCount)
        for i in 0..<bytecodeCount {
            let p = pos + 4 * i
            code[i] = Instruction(raw: UInt32(bytes[p]) | UInt32(bytes[p + 1]) << 8 | UInt32(bytes[p + 2]) << 16 | UInt32(bytes[p + 3]) << 24)
        }
        pos += 4 * bytecodeCount
        proto.bytecode = code
        var upvalues: [UInt16] = []
        for _ in 0..<upvalueCount { upvalues.append(UInt16(try count(0xffff, "upvalue descriptor"))) }
        proto.upvalues = upvalues
        var constants: [GCConstant] = []
        constants.reserveCapacity(gcCount)
        var childCount = 0
        for _ in 0..<gcCount {
            guard let tag = DumpTag(rawValue: try byte()) else { throw .malformed("unknown constant tag") }
            switch tag {
            case .child:
                constants.append(.function(proto))  // replaced by the child once all are read
                childCount += 1
            case .string:
                constants.append(.string(try string()))
            case .table:
                let arraySize = try count(Int(Int32.max), "table array size")
                let hashSizeLog2 = try count(30, "table hash size")
                let entryCount = try count(remaining / 2, "table entry count")
                var entries: [(key: TemplateValue, value: TemplateValue)] = []
                entries.reserveCapacity(entryCount)
                for _ in 0..<entryCount {
                    let key = try templateValue()
                    let value = try templateValue()
                    entries.append((key, value))
                }
                constants.append(.table(TableTemplate(arraySize: arraySize, hashSizeLog2: hashSizeLog2, entries: entries)))
            case .int64:
                constants.append(.int64(Int64(bitPattern: try u64())))
            case .uint64:
                constants.append(.uint64(try u64()))
            case .imaginary:
                constants.append(.imaginary(Double(bitPattern: try u64())))
            }
        }
        proto.gcConstants = constants
        var numbers: [Double] = []
        numbers.reserveCapacity(numberCount)
        for _ in 0..<numberCount { numbers.append(Double(bitPattern: try u64())) }
        proto.numberConstants = numbers
        if strip {
            proto.lines = [Int32](repeating: 0, count: bytecodeCount)
        } else {
            guard bytecodeCount <= remaining else { throw truncated() }
            var lines: [Int32] = []
            lines.reserveCapacity(bytecodeCount)
            for _ in 0..<bytecodeCount {
                let delta = try count(Int(UInt32.max), "line number")
                lines.append(Int32(firstLine) &+ Int32(bitPattern: UInt32(delta)))
            }
            proto.lines = lines
            var names: [StringID] = []
            for _ in 0..<upvalueCount { names.append(try string()) }
            proto.upvalueNames = names
            let localCount = try count(remaining / 4, "local variable count")
            var locals: [LocalVariableInfo] = []
            locals.reserveCapacity(localCount)
            for _ in 0..<localCount {
                let name = try string()
                let start = try count(Int(Int32.max), "local variable range")
                let end = try count(Int(Int32.max), "local variable range")
                let slot = try byte()
                locals.append(LocalVariableInfo(name: name, startPC: Int32(start), endPC: Int32(end), slot: slot))
            }
            proto.locals = locals
        }
        return (proto, childCount)
    }

    mutating func templateValue() throws(UndumpError) -> TemplateValue {
        guard let tag = DumpTemplateTag(rawValue: try byte()) else { throw .malformed("unknown table constant tag") }
        switch tag {
        case .nil: return .nil
        case .false: return .false
        case .true: return .true
        case .number: return .number(Double(bitPattern: try u64()))
        case .string: return .string(try string())
        }
    }
}

private let emptyStringBytes: UnsafePointer<UInt8> = {
    let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
    p.pointee = 0
    return UnsafePointer(p)
}()

// MARK: - The verifier

/// Checks `proto` and every function nested in it; nil when the bytecode is safe to run,
/// otherwise what is wrong (`function at line N: instruction P (OP): ...`).
public func verifyBytecode(_ proto: Prototype) -> String? {
    verifyTree(proto, parent: nil, depth: 1)
}

private func verifyTree(_ proto: Prototype, parent: Prototype?, depth: Int) -> String? {
    if depth > maxPrototypeDepth { return "functions nested too deeply" }
    if let problem = verifyFunction(proto, parent: parent) {
        return "function at line \(proto.firstLine): \(problem)"
    }
    for case .function(let child) in proto.gcConstants {
        if child === proto { return "function at line \(proto.firstLine): a function cannot be its own child" }
        if let problem = verifyTree(child, parent: proto, depth: depth + 1) { return problem }
    }
    return nil
}

/// Opcodes the frontend emits. The interpreter-only (I*) and trace (J*) variants, the
/// trace-only type checks, TGETR/TSETR and the native headers never appear in a dump.
private let emittedOpcodes: Set<Opcode> = Set(Opcode.allCases.filter { !$0.isPatchedVariant && $0.control != .guardCheck })
    .subtracting([.TGETR, .TSETR, .FUNCC, .FUNCCW])

/// Where an instruction leaves a variable number of results (B = 0), if it does.
private func multresBase(_ ins: Instruction) -> Int? {
    switch ins.opcode {
    case .CALL, .CALLM, .VARG: return ins.b == 0 ? Int(ins.a) : nil
    default: return nil
    }
}

private func verifyFunction(_ p: Prototype, parent: Prototype?) -> String? {
    let code = p.bytecode
    let n = code.count
    let fs = Int(p.frameSize)
    let gcCount = p.gcConstants.count, numberCount = p.numberConstants.count
    let upvalueCount = p.upvalues.count
    if fs > maxFrameSize { return "frame size \(fs) above \(maxFrameSize)" }
    if Int(p.parameterCount) > fs { return "more parameters than frame slots" }
    if p.flags.rawValue & ~(PrototypeFlags.hasChild.rawValue | PrototypeFlags.vararg.rawValue | PrototypeFlags.usesFFI.rawValue) != 0 {
        return "unknown flags"
    }
    if n < 2 { return "function without code" }
    if p.lines.count != n { return "line table does not match the code" }
    if upvalueCount > maxUpvalues { return "too many upvalues" }
    if !p.upvalueNames.isEmpty && p.upvalueNames.count != upvalueCount { return "upvalue names do not match the upvalues" }
    if numberCount > Int(maxD) + 1 || gcCount > Int(maxD) + 1 { return "too many constants" }
    let stringCount = p.strings.count
    func validString(_ id: StringID) -> Bool { id >= 0 && Int(id) < stringCount }
    for name in p.upvalueNames where !validString(name) { return "bad upvalue name" }
    for v in p.locals {
        if !validString(v.name) { return "bad local variable name" }
        if Int(v.slot) >= fs { return "local variable slot outside the frame" }
        if v.startPC < 0 || v.startPC > v.endPC || Int(v.endPC) > n { return "bad local variable range" }
    }

    // Upvalue descriptors: a local slot of the enclosing function or one of its upvalues.
    if let parent {
        for d in p.upvalues {
            if d & upvalueIsLocal != 0 {
                if d & ~(upvalueIsLocal | upvalueIsImmutable | 0xff) != 0 { return "bad upvalue descriptor" }
                if Int(d & 0xff) >= Int(parent.frameSize) { return "upvalue refers to a slot outside the enclosing frame" }
            } else if Int(d) >= parent.upvalues.count {
                return "upvalue refers to a missing upvalue of the enclosing function"
            }
        }
    }

    // Constants and table templates.
    for k in p.gcConstants {
        switch k {
        case .string(let id):
            if !validString(id) { return "bad string constant" }
        case .table(let t):
            if let problem = verifyTemplate(t, instructionCount: n, validString) { return problem }
        default:
            break
        }
    }

    // The header.
    let header = code[0]
    let expectedHeader: Opcode = p.isVararg ? .FUNCV : .FUNCF
    if header.opByte != expectedHeader.rawValue || Int(header.a) != fs || header.d != 0 {
        return "bad function header"
    }

    // Jump targets and their sources, for the checks below.
    var jumpSources: [Int: [Int]] = [:]
    for pc in 1..<n {
        let ins = code[pc]
        guard let op = Opcode(rawValue: ins.opByte), emittedOpcodes.contains(op), op != .FUNCF, op != .FUNCV else {
            return "instruction \(pc): invalid opcode \(ins.opByte)"
        }
        if op.format.cd == .jump {
            let target = pc + 1 + Int(ins.jump)
            if target < 1 || target >= n { return "instruction \(pc) (\(op.name)): jump outside the function" }
            jumpSources[target, default: []].append(pc)
        }
    }

    func isString(_ d: UInt32) -> Bool {
        if Int(d) < gcCount, case .string = p.gcConstants[Int(d)] { return true }
        return false
    }

    /// The point before `pc` always has MULTRES results starting at register `base`: every
    /// way in is straight from the instruction producing them, or from it through one JMP or
    /// UCLO (the shape return fixup leaves).
    func multresReady(_ pc: Int, _ base: Int) -> Bool {
        if pc >= 2 && (code[pc - 2].opcode.control == .conditional || code[pc - 2].opcode == .ITERN) { return false }
        let prev = code[pc - 1]
        if !prev.opcode.isTerminal && multresBase(prev) != base { return false }
        for q in jumpSources[pc] ?? [] {
            let via = code[q].opcode
            guard via == .JMP || via == .UCLO, q >= 2, jumpSources[q] == nil else { return false }
            if q >= 3 && (code[q - 2].opcode.control == .conditional || code[q - 2].opcode == .ITERN) { return false }
            if multresBase(code[q - 1]) != base { return false }
        }
        return true
    }

    for pc in 1..<n {
        let ins = code[pc]
        let op = ins.opcode
        let a = Int(ins.a), b = Int(ins.b), c = Int(ins.c), d = Int(ins.d)
        func fail(_ what: String) -> String { "instruction \(pc) (\(op.name)): \(what)" }
        func reg(_ r: Int) -> Bool { r >= 0 && r < fs }
        func isNumber(_ i: Int) -> Bool { i < numberCount }

        /// What a field's operand mode requires of its value, or nil when it holds.
        func check(_ mode: OperandMode, _ v: Int) -> String? {
            switch mode {
            case .dst, .variable: return reg(v) ? nil : "register outside the frame"
            case .rbase: return v <= fs ? nil : "register outside the frame"
            case .string: return isString(UInt32(v)) ? nil : "not a string constant"
            case .number: return isNumber(v) ? nil : "not a number constant"
            case .primitive: return v <= 2 ? nil : "bad primitive"
            case .upvalue: return v < upvalueCount ? nil : "no such upvalue"
            case .function:
                if v < gcCount, case .function = p.gcConstants[v] { return nil }
                return "not a function constant"
            case .table:
                if v < gcCount, case .table = p.gcConstants[v] { return nil }
                return "not a table constant"
            case .cdata:
                switch v < gcCount ? p.gcConstants[v] : .string(-1) {
                case .int64, .uint64, .imaginary: return nil
                default: return "not an FFI constant"
                }
            case .none, .base, .literal, .signedLiteral, .jump: return nil
            }
        }

        // Registers and constants: first what the operand modes say, then the rules of
        // the instructions whose fields are ranges or counts.
        let format = op.format
        var problem = check(format.a, a) ?? check(format.b, b) ?? check(format.cd, op.hasB ? c : d)
        if problem == nil {
            switch op {
            case .CAT:
                if !reg(a) || !reg(c) { problem = "register outside the frame" } else if b >= c { problem = "bad register range" }
            case .KNIL:
                if !reg(a) || !reg(d) { problem = "register outside the frame" } else if a > d { problem = "bad register range" }
            case .TNEW:
                let hashLog2 = d >> 11
                if !reg(a) { problem = "register outside the frame" } else if hashLog2 > 0 && 1 << (hashLog2 - 1) > n {
                    problem = "table size out of range"
                }
            case .TSETM:
                // The table is in A-1, the values from A on; D is the first index biased by 2^52.
                if a < 1 || !reg(a) { problem = "register outside the frame" } else if !isNumber(d) {
                    problem = "not a number constant"
                } else {
                    let start = p.numberConstants[d]
                    if !(start >= 4_503_599_627_370_496 && start < 4_503_599_627_370_496 + 2_147_483_648) {
                        problem = "bad start index"
                    } else if !multresReady(pc, a) {
                        problem = "not preceded by a multiple-result instruction"
                    }
                }
            case .CALL:
                // Function in A, frame link in A+1, C-1 arguments from A+2, B-1 results from A.
                if c < 1 { problem = "bad argument count" } else if !reg(a + 1) || !reg(a + c) || (b >= 2 && !reg(a + b - 2)) {
                    problem = "register outside the frame"
                }
            case .CALLM:
                // C fixed arguments from A+2, then the MULTRES results of the previous instruction.
                if !reg(a + 1) || !reg(a + 1 + c) || (b >= 2 && !reg(a + b - 2)) {
                    problem = "register outside the frame"
                } else if !multresReady(pc, a + 2 + c) {
                    problem = "not preceded by a multiple-result instruction"
                }
            case .CALLT:
                if d < 1 { problem = "bad argument count" } else if !reg(a + 1) || !reg(a + d) { problem = "register outside the frame" }
            case .CALLMT:
                if !reg(a + 1) || !reg(a + 1 + d) {
                    problem = "register outside the frame"
                } else if !multresReady(pc, a + 2 + d) {
                    problem = "not preceded by a multiple-result instruction"
                }
            case .ITERC, .ITERN:
                // Generator, state and control in A-3..A-1; the call uses A..A+3; B-1 results.
                if a < 3 || !reg(a + 3) || b < 2 || !reg(a + b - 2) { problem = "register outside the frame" }
                else if c != 3 { problem = "bad argument count" }
                else if pc + 1 >= n || code[pc + 1].opcode != .ITERL || Int(code[pc + 1].a) != a {
                    problem = "not followed by its ITERL"
                } else if op == .ITERN && pc + 2 >= n {
                    problem = "runs off the end of the function"
                }
            case .VARG:
                if !p.isVararg { problem = "vararg instruction in a function without varargs" }
                else if !reg(a) || (b >= 2 && !reg(a + b - 2)) { problem = "register outside the frame" }
            case .ISNEXT:
                let target = pc + 1 + Int(ins.jump)
                if a < 3 || !reg(a) { problem = "register outside the frame" }
                else if code[target].opcode != .ITERN || Int(code[target].a) != a { problem = "does not jump to its ITERN" }
            case .RETM:
                if d > 0 && !reg(a + d - 1) { problem = "register outside the frame" }
                else if a + d >= fs { problem = "register outside the frame" }
                else if !multresReady(pc, a + d) { problem = "not preceded by a multiple-result instruction" }
            case .RET:
                if d < 1 || a > fs || (d >= 2 && !reg(a + d - 2)) { problem = "register outside the frame" }
            case .RET1:
                if !reg(a) { problem = "register outside the frame" }
            case .FORI, .FORL:
                if !reg(a + 3) { problem = "register outside the frame" }
            case .ITERL:
                if a < 1 || !reg(a) { problem = "register outside the frame" }
            default:
                break
            }
        }
        if let problem { return fail(problem) }

        // Control flow: the pairs read together, and no falling off the end.
        if op.control == .conditional {
            if pc + 2 >= n || code[pc + 1].opcode != .JMP { return fail("not followed by a JMP") }
        } else if !op.isTerminal && pc + 1 >= n {
            return fail("runs off the end of the function")
        }
    }
    return nil
}

/// A table template: keys usable as table keys, sizes bounded by what the function can fill
/// (every item not in the template is stored by an instruction of its own; LuaJIT's rehash
/// leaves an array part as little as a quarter full).
private func verifyTemplate(_ t: TableTemplate, instructionCount n: Int, _ validString: (StringID) -> Bool) -> String? {
    let bound = t.entries.count + n + 1
    if t.arraySize < 0 || t.arraySize > 4 * bound { return "table template array size out of range" }
    if t.hashSizeLog2 < 0 || t.hashSizeLog2 > 30 || (t.hashSizeLog2 > 0 && 1 << (t.hashSizeLog2 - 1) > bound) {
        return "table template hash size out of range"
    }
    for (key, value) in t.entries {
        switch key {
        case .nil: return "table template with a nil key"
        case .number(let x) where x.isNaN: return "table template with a NaN key"
        case .string(let id) where !validString(id): return "bad string in a table template"
        default: break
        }
        if case .string(let id) = value, !validString(id) { return "bad string in a table template" }
    }
    return nil
}
