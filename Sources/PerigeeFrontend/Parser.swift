/// The parser's shared state and entry point: one pass from tokens to bytecode, with the
/// variable stack that holds locals, pending gotos and labels of every open function.

/// The result of compiling a chunk: its main function (a vararg function of no parameters).
///
/// Source text only: a chunk starting with ESC is a binary chunk, which `load` reads with the
/// bytecode loader before ever calling this; here it is refused as LuaJIT refuses bytecode it
/// cannot read.
public func compileChunk(_ source: UnsafeBufferPointer<UInt8>, chunkName: String) throws(LuaSyntaxError) -> Prototype {
    if source.first == 0x1b {
        throw LuaSyntaxError(message: "\(shortBinaryChunkName(chunkName)): cannot load incompatible bytecode")
    }
    let parser = Parser(source: source, chunkName: chunkName)
    return try parser.parseChunk()
}

public func compileChunk(_ source: [UInt8], chunkName: String) throws(LuaSyntaxError) -> Prototype {
    try source.withUnsafeBufferPointer { (buffer) throws(LuaSyntaxError) in try compileChunk(buffer, chunkName: chunkName) }
}

struct VariableFlags: OptionSet {
    let rawValue: UInt8
    /// Assigned after its declaration (so captures of it are mutable).
    static let readWrite = VariableFlags(rawValue: 0x01)
    static let pendingGoto = VariableFlags(rawValue: 0x02)
    static let label = VariableFlags(rawValue: 0x04)
}

/// A local variable, a pending goto or a label.
struct VariableSlot {
    /// The name; `invalidName` once a goto/label is resolved, `breakName` for `break`.
    var name: StringID
    var startPC: Int32
    var endPC: Int32
    var slot: UInt8
    var flags: VariableFlags
}

let invalidName: StringID = -1
let breakName: StringID = -2
/// Locals, gotos and labels of all open functions together.
let maxVariableStack = 65536 - maxUpvalues
/// Upvalue sources at or above this refer to an upvalue of the enclosing function.
let variableStackLimit: UInt32 = 65536
/// Nesting depth of syntax constructs before "chunk has too many syntax levels".
let maxSyntaxLevels = 200

final class Parser {
    var lex: Lexer
    /// The function being parsed; the chain of open functions is kept alive by
    /// `openFunctions`, so no reference counting is needed on this hot path.
    unowned(unsafe) var fs: FunctionState
    /// Open functions, outermost first.
    var openFunctions: [FunctionState] = []
    var variables: [VariableSlot] = []
    /// Left-hand sides of the assignments being parsed (see `parseAssignment`).
    var assignmentTargets: [Expression] = []
    var level = 0
    /// Filled with the lexer's strings when the chunk is done.
    let pool: StringPool
    let chunkName: String
    let selfName: StringID
    let pairsName: StringID
    let nextName: StringID
    let hiddenNames: [StringID]

    init(source: UnsafeBufferPointer<UInt8>, chunkName: String) {
        pool = StringPool(StringInterner())
        let main = FunctionState(firstLine: 0, variableBase: 0)
        openFunctions.append(main)
        fs = main
        self.chunkName = chunkName
        var lex = Lexer(source: source, chunkName: chunkName)
        selfName = lex.pool.intern("self")
        pairsName = lex.pool.intern("pairs")
        nextName = lex.pool.intern("next")
        hiddenNames = ["(for index)", "(for limit)", "(for step)",
                       "(for generator)", "(for state)", "(for control)"].map { lex.pool.intern($0) }
        self.lex = lex
        variables.reserveCapacity(64)
    }

    // MARK: Errors and token helpers

    /// Reads the next token; instructions emitted from now on carry the line just left.
    @inline(__always) func nextToken() throws(LuaSyntaxError) {
        try lex.next()
        fs.line = lex.lastLine
    }

    /// An error at the current token.
    func syntaxError(_ message: String) -> LuaSyntaxError { lex.error(token: lex.tok, message) }

    func expectedError(_ t: Token) -> LuaSyntaxError { syntaxError("'\(Tok.describe(t))' expected") }

    func check(_ t: Token) throws(LuaSyntaxError) {
        if lex.tok != t { throw expectedError(t) }
        try nextToken()
    }

    func optional(_ t: Token) throws(LuaSyntaxError) -> Bool {
        if lex.tok == t { try nextToken(); return true }
        return false
    }

    /// Expects `what` closing `who` opened at `line`.
    func match(_ what: Token, _ who: Token, _ line: Int32) throws(LuaSyntaxError) {
        if try optional(what) { return }
        if line == lex.line { throw expectedError(what) }
        throw syntaxError("'\(Tok.describe(what))' expected (to close '\(Tok.describe(who))' at line \(line))")
    }

    /// A name token (LuaJIT also accepts `goto` as a plain name).
    func name() throws(LuaSyntaxError) -> StringID {
        if lex.tok != Tok.name && lex.tok != Tok.goto { throw expectedError(Tok.name) }
        let s = lex.value.string
        try nextToken()
        return s
    }

    func enterLevel() throws(LuaSyntaxError) {
        level += 1
        if level >= maxSyntaxLevels { throw lex.error(token: 0, "chunk has too many syntax levels") }
    }

    func limitError(_ limit: Int, _ what: String, in f: FunctionState? = nil) -> LuaSyntaxError {
        let line = (f ?? fs).firstLine
        if line == 0 {
            return lex.error(token: 0, "main function has more than \(limit) \(what)")
        }
        return lex.error(token: 0, "function at line \(line) has more than \(limit) \(what)")
    }

    // MARK: Chunk

    func parseChunk() throws(LuaSyntaxError) -> Prototype {
        let main = fs
        main.parser = self
        main.flags.insert(.vararg)
        beginScope([])
        try main.emit(Instruction(.FUNCV, a: 0, d: 0))
        try nextToken()
        try parseBlockBody()
        if lex.tok != Tok.eof { throw expectedError(Tok.eof) }
        let proto = try finishFunction(lastLine: lex.line)
        pool.interner = lex.pool  // the prototypes share the final string table
        return proto
    }

    /// Opens a nested function's state.
    func openFunction(firstLine: Int32) -> FunctionState {
        let child = FunctionState(firstLine: firstLine, variableBase: variables.count)
        child.parser = self
        openFunctions.append(child)
        fs = child
        child.line = lex.lastLine
        return child
    }

    /// Closes the current function and builds its prototype.
    func finishFunction(lastLine: Int32) throws(LuaSyntaxError) -> Prototype {
        let f: FunctionState = fs
        try fixupReturns(f)
        if f.numberConstants.count > Int(maxD) + 1 || f.gcConstants.count > Int(maxD) + 1 {
            throw limitError(Int(maxD) + 1, "constants")
        }
        let proto = Prototype(firstLine: f.firstLine, chunkName: chunkName, strings: pool)
        proto.lastLine = lastLine
        f.code[0] = Instruction(f.flags.contains(.vararg) ? .FUNCV : .FUNCF, a: f.frameSize, d: 0)
        proto.bytecode = f.code.array
        proto.lines = f.lines.array
        proto.lines[0] = f.firstLine
        proto.numberConstants = f.numberConstants
        // Children's upvalues are final only now that every local of this function is known.
        for case .function(let child) in f.gcConstants { resolveUpvalueDescriptors(child) }
        proto.gcConstants = f.gcConstants
        proto.upvalues = f.upvalueSource.map { UInt16(truncatingIfNeeded: $0) }
        proto.pendingUpvalueSources = f.upvalueSource
        proto.upvalueNames = f.upvalueMap.map { variables[Int($0)].name }
        proto.parameterCount = UInt8(f.parameterCount)
        proto.frameSize = UInt8(f.frameSize)
        proto.flags = f.flags.intersection([.hasChild, .vararg, .usesFFI])
        proto.locals = variables[f.variableBase...].compactMap { v in
            v.flags.isDisjoint(with: [.pendingGoto, .label])
                ? LocalVariableInfo(name: v.name, startPC: v.startPC, endPC: v.endPC, slot: v.slot) : nil
        }
        variables.removeLast(variables.count - f.variableBase)
        // The main function's state stays open: `fs` must never dangle.
        if openFunctions.count > 1 { openFunctions.removeLast() }
        if let outer = openFunctions.last, outer !== f {
            fs = outer
            outer.line = lex.lastLine
        }
        return proto
    }

    /// Upvalue descriptors of `child`: a local of ours (maybe immutable) or our own upvalue.
    private func resolveUpvalueDescriptors(_ child: Prototype) {
        child.upvalues = child.pendingUpvalueSources.map { source in
            if source >= variableStackLimit { return UInt16(source - variableStackLimit) }
            let v = variables[Int(source)]
            var d = upvalueIsLocal | UInt16(v.slot)
            if !v.flags.contains(.readWrite) { d |= upvalueIsImmutable }
            return d
        }
        child.pendingUpvalueSources = []
    }

    /// Adds the final return, and when a closure was created after a return had been
    /// emitted, makes every earlier return close upvalues first.
    private func fixupReturns(_ f: FunctionState) throws(LuaSyntaxError) {
        let lastPC = f.pc
        if lastPC <= f.lastTarget || !isReturn(f.code[Int(lastPC) - 1].opcode) {
            if f.scopes.last!.flags.contains(.hasUpvalue) {
                try f.emit(Instruction(.UCLO, a: 0, jump: 0))
            }
            try f.emit(Instruction(.RET0, a: 0, d: 1))
        }
        f.scopes[f.scopes.count - 1].flags.insert(.noClose)
        try endScope()
        guard f.flags.contains(.fixupReturn) else { return }
        for pc in 1..<Int(lastPC) {
            let ins = f.code[pc]
            switch ins.opcode {
            case .CALLMT, .CALLT, .RETM, .RET, .RET0, .RET1:
                let copy = try f.emit(ins)
                f.lines[Int(copy)] = f.lines[pc]
                let offset = Int(copy) - (pc + 1)
                if offset + Int(jumpBias) > Int(maxD) { throw syntaxError("function too long for return fixup") }
                f.code[pc] = Instruction(.UCLO, a: 0, jump: Int32(offset))
            case .UCLO:
                return
            default:
                break
            }
        }
    }

    private func isReturn(_ op: Opcode) -> Bool {
        op == .CALLMT || op == .CALLT || op == .RETM || op == .RET || op == .RET0 || op == .RET1
    }
}
