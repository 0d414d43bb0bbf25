/// Expressions: operator precedence, primary and suffixed expressions, calls and their
/// arguments, table constructors and function bodies.

extension Parser {
    func parseExpression(_ e: inout Expression) throws(LuaSyntaxError) {
        _ = try parseBinary(&e, limit: 0)
    }

    func parseExpressionToNextRegister() throws(LuaSyntaxError) {
        var e = Expression(.void)
        try parseExpression(&e)
        try fs.toNextRegister(&e)
    }

    /// Comma-separated expressions; all but the last go to consecutive registers.
    func parseExpressionList(_ e: inout Expression) throws(LuaSyntaxError) -> UInt32 {
        var n: UInt32 = 1
        try parseExpression(&e)
        while try optional(44) {
            try fs.toNextRegister(&e)
            try parseExpression(&e)
            n += 1
        }
        return n
    }

    private func binaryOperator(_ t: Token) -> BinaryOperator? {
        switch t {
        case 43: return .add
        case 45: return .sub
        case 42: return .mul
        case 47: return .div
        case 37: return .mod
        case 94: return .pow
        case Tok.concat: return .concat
        case Tok.ne: return .ne
        case Tok.eq: return .eq
        case 60: return .lt
        case Tok.le: return .le
        case 62: return .gt
        case Tok.ge: return .ge
        case Tok.and: return .and
        case Tok.or: return .or
        default: return nil
        }
    }

    /// Parses operators binding tighter than `limit`; returns the first one that does not.
    private func parseBinary(_ e: inout Expression, limit: Int) throws(LuaSyntaxError) -> BinaryOperator? {
        try enterLevel()
        try parseUnary(&e)
        var op = binaryOperator(lex.tok)
        while let current = op, current.priority.left > limit {
            try nextToken()
            try fs.binaryLeft(current, &e)
            var right = Expression(.void)
            let nextOp = try parseBinary(&right, limit: current.priority.right)
            try fs.binary(current, &e, &right)
            op = nextOp
        }
        level -= 1
        return op
    }

    private func parseUnary(_ e: inout Expression) throws(LuaSyntaxError) {
        let op: Opcode
        switch lex.tok {
        case Tok.not: op = .NOT
        case 45: op = .UNM
        case 35: op = .LEN
        default:
            try parseSimpleExpression(&e)
            return
        }
        try nextToken()
        _ = try parseBinary(&e, limit: unaryPriority)
        try fs.unary(op, &e)
    }

    private func parseSimpleExpression(_ e: inout Expression) throws(LuaSyntaxError) {
        switch lex.tok {
        case Tok.number:
            if case .number = lex.value.number { e = Expression(.constNumber) } else { e = Expression(.constCData) }
            e.number = lex.value.number
        case Tok.string:
            e = Expression(.constString)
            e.string = lex.value.string
        case Tok.nil: e = Expression(.constNil)
        case Tok.true: e = Expression(.constTrue)
        case Tok.false: e = Expression(.constFalse)
        case Tok.dots:
            guard fs.flags.contains(.vararg) else { throw syntaxError("cannot use '...' outside a vararg function") }
            try fs.reserveRegisters(1)
            let base = fs.freeRegister - 1
            e = Expression(.call, UInt32(try fs.emit(Instruction(.VARG, a: base, b: 2, c: fs.parameterCount))))
            e.aux = Int32(base)
        case 123:  // '{'
            try parseTable(&e)
            return
        case Tok.function:
            try nextToken()
            try parseFunctionBody(&e, needsSelf: false, line: lex.line)
            return
        default:
            try parsePrimaryExpression(&e)
            return
        }
        try nextToken()
    }

    /// A name or parenthesized expression followed by fields, indexes, method calls and calls.
    func parsePrimaryExpression(_ e: inout Expression) throws(LuaSyntaxError) {
        if lex.tok == 40 {  // '('
            let line = lex.line
            try nextToken()
            try parseExpression(&e)
            try match(41, 40, line)
            try fs.discharge(&e)
        } else if lex.tok == Tok.name || lex.tok == Tok.goto {
            e = try resolve(try name())
        } else {
            throw syntaxError("unexpected symbol")
        }
        while true {
            switch lex.tok {
            case 46:  // '.'
                try parseField(&e)
            case 91:  // '['
                try fs.toAnyRegister(&e)
                var key = Expression(.void)
                try parseBracketKey(&key)
                try fs.index(&e, &key)
            case 58:  // ':'
                try nextToken()
                var key = Expression(.constString)
                key.string = try name()
                try fs.method(&e, key)
                try parseCallArguments(&e)
            case 40, Tok.string, 123:
                try fs.toNextRegister(&e)
                try fs.reserveRegisters(1)  // the frame link slot
                try parseCallArguments(&e)
            default:
                return
            }
        }
    }

    func parseField(_ e: inout Expression) throws(LuaSyntaxError) {
        try fs.toAnyRegister(&e)
        try nextToken()  // '.' or ':'
        var key = Expression(.constString)
        key.string = try name()
        try fs.index(&e, &key)
    }

    private func parseBracketKey(_ key: inout Expression) throws(LuaSyntaxError) {
        try nextToken()  // '['
        try parseExpression(&key)
        try fs.toValue(&key)
        try check(93)  // ']'
    }

    private func parseCallArguments(_ e: inout Expression) throws(LuaSyntaxError) {
        var args = Expression(.void)
        let line = lex.line
        if lex.tok == 40 {
            if line != lex.lastLine { throw syntaxError("ambiguous syntax (function call x new statement)") }
            try nextToken()
            if lex.tok != 41 {
                _ = try parseExpressionList(&args)
                if args.kind == .call { fs.code[Int(args.info)].b = 0 }  // pass on all results
            }
            try match(41, 40, line)
        } else if lex.tok == 123 {
            try parseTable(&args)
        } else if lex.tok == Tok.string {
            args = Expression(.constString)
            args.string = lex.value.string
            try nextToken()
        } else {
            throw syntaxError("function arguments expected")
        }
        let base = e.info
        let ins: Instruction
        if args.kind == .call {
            ins = Instruction(.CALLM, a: base, b: 2, c: UInt32(args.aux) - base - 2)
        } else {
            if args.kind != .void { try fs.toNextRegister(&args) }
            ins = Instruction(.CALL, a: base, b: 2, c: fs.freeRegister - base - 1)
        }
        e = Expression(.call, UInt32(try fs.emit(ins)))
        e.aux = Int32(base)
        fs.lines[fs.lines.count - 1] = line
        fs.freeRegister = base + 1  // one result by default
    }

    // MARK: Table constructors

    /// `{...}`: constant keys with constant values go into a template (TDUP), the rest is
    /// stored by instructions; a trailing call or `...` stores all its results (TSETM).
    private func parseTable(_ e: inout Expression) throws(LuaSyntaxError) {
        let line = lex.line
        var template: TableTemplate? = nil
        var sizing: TemplateSizing? = nil
        var templateSlot: UInt32 = 0
        var trailingMulti = false, needsArray = false
        var arrayCount: UInt32 = 1
        var hashCount: UInt32 = 0
        var reg = fs.freeRegister
        let pc = try fs.emit(Instruction(.TNEW, a: reg, d: 0))
        e = Expression(.nonRelocatable, reg)
        try fs.reserveRegisters(1)
        reg += 1
        try check(123)
        while lex.tok != 125 {
            var key = Expression(.void)
            trailingMulti = false
            if lex.tok == 91 {
                try parseBracketKey(&key)
                if !key.isConstant { try fs.index(&e, &key) }
                if key.isZero { needsArray = true } else { hashCount += 1 }
                try check(61)
            } else if try isNameFollowedByAssign() {
                key = Expression(.constString)
                key.string = try name()
                try check(61)
                hashCount += 1
            } else {
                key = Expression(.constNumber)
                key.number = .number(Double(arrayCount))
                arrayCount += 1
                needsArray = true
                trailingMulti = true
            }
            var value = Expression(.void)
            try parseExpression(&value)
            var storeByInstruction = true
            if key.isConstant && key.kind != .constNil && (key.kind == .constString || value.isConstantNoJumps) {
                if template == nil {
                    template = TableTemplate(arraySize: needsArray ? Int(arrayCount) : 0,
                                             hashSizeLog2: hashSizeLog2(hashCount), entries: [])
                    templateSlot = fs.uniqueConstant(.table(template!))
                    fs.code[Int(pc)] = Instruction(.TDUP, a: reg - 1, d: templateSlot)
                    sizing = TemplateSizing(arraySize: template!.arraySize, hashLog2: template!.hashSizeLog2)
                }
                trailingMulti = false
                let k = templateValue(key)
                if value.isConstantNoJumps {
                    let v = templateValue(value)
                    setTemplateEntry(&template!, k, v)
                    sizing!.set(k, live: v != .nil)
                    storeByInstruction = false
                } else {
                    // The key is reserved in the template; its value is stored below. (LuaJIT
                    // holds a placeholder value there until the end.)
                    setTemplateEntry(&template!, k, .nil)
                    sizing!.set(k, live: true)
                }
            }
            if storeByInstruction {
                if value.kind != .call { try fs.toAnyRegister(&value); trailingMulti = false }
                if key.isConstant { try fs.index(&e, &key) }
                try fs.store(e, &value)
            }
            fs.freeRegister = reg
            if try !optional(44) {
                if try !optional(59) { break }
            }
        }
        try match(125, 123, line)
        if trailingMulti {
            // The last item was a call or `...`: replace its single store by TSETM.
            var last = fs.code.count - 1
            if arrayCount > 256 {
                fs.code.removeLast()
                fs.lines.removeLast()
                last -= 1
            }
            let biased = Double(sign: .plus, exponent: 52, significand: 1) + Double(arrayCount - 1)
            fs.code[last] = Instruction(.TSETM, a: reg, d: fs.numberConstant(biased))
            fs.code[last - 1].b = 0
        }
        if pc == fs.pc - 1 {  // nothing but the TNEW/TDUP: it can still be retargeted
            e.info = UInt32(pc)
            fs.freeRegister -= 1
            e.kind = .relocatable
        } else {
            e.kind = .nonRelocatable
        }
        if var t = template, var sizing {
            sizing.finish(positionalEnd: Int(arrayCount), needsArray: needsArray)
            t.arraySize = sizing.arraySize
            t.hashSizeLog2 = sizing.hashLog2
            fs.gcConstants[Int(templateSlot)] = .table(t)
        } else {
            var size = needsArray ? arrayCount : 0
            if needsArray && size < 3 { size = 3 } else if size > 0x7ff { size = 0x7ff }
            fs.code[Int(pc)].d = size | (UInt32(hashSizeLog2(hashCount)) << 11)
        }
    }

    /// `name =` inside a table constructor (a one-token lookahead).
    private func isNameFollowedByAssign() throws(LuaSyntaxError) -> Bool {
        guard lex.tok == Tok.name || lex.tok == Tok.goto else { return false }
        return try lex.peek() == 61
    }

    private func templateValue(_ e: Expression) -> TemplateValue {
        switch e.kind {
        case .constNil: return .nil
        case .constFalse: return .false
        case .constTrue: return .true
        case .constString: return .string(e.string)
        default:
            let n = e.numberValue
            return .number(n == 0 ? 0 : n)  // -0 keys are stored as +0
        }
    }

    private func setTemplateEntry(_ t: inout TableTemplate, _ key: TemplateValue, _ value: TemplateValue) {
        if let i = t.entries.firstIndex(where: { $0.key == key }) {
            t.entries[i].value = value
        } else {
            t.entries.append((key, value))
        }
    }

    private func hashSizeLog2(_ n: UInt32) -> Int {
        if n == 0 { return 0 }
        if n == 1 { return 1 }
        return 1 + (31 - (n - 1).leadingZeroBitCount)
    }

    // MARK: Function bodies

    func parseFunctionBody(_ e: inout Expression, needsSelf: Bool, line: Int32) throws(LuaSyntaxError) {
        let parent: FunctionState = fs
        let child = openFunction(firstLine: line)
        beginScope([])
        child.parameterCount = try parseParameters(needsSelf: needsSelf)
        try child.emit(Instruction(.FUNCF, a: 0, d: 0))
        try parseBlockBody()
        if lex.tok != Tok.end { try match(Tok.end, Tok.function, line) }
        lex.lastLine = lex.line
        fs.line = lex.line
        let proto = try finishFunction(lastLine: lex.line)
        let k = parent.uniqueConstant(.function(proto))
        e = Expression(.relocatable, UInt32(try parent.emit(Instruction(.FNEW, a: 0, d: k))))
        parent.flags.formUnion(child.flags.intersection(.usesFFI))
        if !parent.flags.contains(.hasChild) {
            if parent.flags.contains(.hasReturn) { parent.flags.insert(.fixupReturn) }
            parent.flags.insert(.hasChild)
        }
        try nextToken()
    }

    private func parseParameters(needsSelf: Bool) throws(LuaSyntaxError) -> UInt32 {
        var n: UInt32 = 0
        try check(40)
        if needsSelf {
            try declareVariable(n, selfName)
            n += 1
        }
        if lex.tok != 41 {
            repeat {
                if lex.tok == Tok.name || lex.tok == Tok.goto {
                    try declareVariable(n, try name())
                    n += 1
                } else if lex.tok == Tok.dots {
                    try nextToken()
                    fs.flags.insert(.vararg)
                    break
                } else {
                    throw syntaxError("<name> or '...' expected")
                }
            } while try optional(44)
        }
        activateVariables(n)
        try fs.reserveRegisters(n)
        try check(41)
        return n
    }
}
