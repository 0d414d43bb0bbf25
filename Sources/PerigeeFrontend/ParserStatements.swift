/// Statements: blocks, assignments and calls, `local`, `function`, `return`, `if`, the loops
/// (emitted inverted, with their loop instruction at the bottom), `goto` and labels.

extension Parser {
    /// Statements up to the end of a block; `return` (and in Lua 5.1 `break`) must be last.
    func parseBlockBody() throws(LuaSyntaxError) {
        try enterLevel()
        var isLast = false
        while !isLast && !isBlockEnd(lex.tok) {
            isLast = try parseStatement()
            _ = try optional(59)  // ';'
            fs.freeRegister = fs.activeVariables
        }
        level -= 1
    }

    private func parseStatement() throws(LuaSyntaxError) -> Bool {
        let line = lex.line
        switch lex.tok {
        case Tok.if: try parseIf(line)
        case Tok.while: try parseWhile(line)
        case Tok.do:
            try nextToken()
            try parseBlock()
            try match(Tok.end, Tok.do, line)
        case Tok.for: try parseFor(line)
        case Tok.repeat: try parseRepeat(line)
        case Tok.function: try parseFunctionStatement(line)
        case Tok.local:
            try nextToken()
            try parseLocal()
        case Tok.return:
            try parseReturn()
            return true
        case Tok.break:
            try nextToken()
            try parseBreak()
            return true
        case Tok.label:
            try parseLabel()
        case Tok.goto where try lex.peek() == Tok.name:
            try nextToken()
            try parseGoto()
        default:
            try parseCallOrAssignment()
        }
        return false
    }

    // MARK: Assignments and calls

    private func parseCallOrAssignment() throws(LuaSyntaxError) {
        var e = Expression(.void)
        try parsePrimaryExpression(&e)
        if e.kind == .call {
            fs.code[Int(e.info)].b = 1  // no results
        } else {
            let base = assignmentTargets.count
            assignmentTargets.append(e)
            try parseAssignment(base: base, 1)
            assignmentTargets.removeLast(assignmentTargets.count - base)
        }
    }

    /// The targets of one assignment sit at `base...` of `assignmentTargets`; the last one is
    /// the target being handled at this level of the recursion.
    private func parseAssignment(base: Int, _ count: UInt32) throws(LuaSyntaxError) {
        let kind = assignmentTargets[assignmentTargets.count - 1].kind
        guard kind == .local || kind == .upvalue || kind == .global || kind == .indexed else {
            throw syntaxError("syntax error")
        }
        var e = Expression(.void)
        if try optional(44) {  // ','
            var next = Expression(.void)
            try parsePrimaryExpression(&next)
            if next.kind == .local { try renameHazards(base: base, next) }
            if level + Int(count) >= maxSyntaxLevels { throw limitError(maxSyntaxLevels, "variable names") }
            assignmentTargets.append(next)
            try parseAssignment(base: base, count + 1)
            assignmentTargets.removeLast()
        } else {
            try check(61)  // '='
            let valueCount = try parseExpressionList(&e)
            if valueCount == count {
                if e.kind == .call {
                    if fs.instruction(e).opcode == .VARG {
                        fs.freeRegister -= 1
                        e.kind = .relocatable
                    } else {
                        e.info = UInt32(e.aux)
                        e.kind = .nonRelocatable
                    }
                }
                try fs.store(assignmentTargets[assignmentTargets.count - 1], &e)
                return
            }
            try adjustAssignment(count, valueCount, &e)
        }
        var value = Expression(.nonRelocatable, fs.freeRegister - 1)
        try fs.store(assignmentTargets[assignmentTargets.count - 1], &value)
    }

    /// `t[i], t = ...` or `t[i], i = ...`: a table or key register about to be assigned is
    /// copied first, so the earlier store still sees the old value.
    private func renameHazards(base: Int, _ v: Expression) throws(LuaSyntaxError) {
        let reg = v.info
        let temp = fs.freeRegister
        var hazard = false
        for i in base..<assignmentTargets.count where assignmentTargets[i].kind == .indexed {
            if assignmentTargets[i].info == reg {
                hazard = true
                assignmentTargets[i].info = temp
            }
            if assignmentTargets[i].aux == Int32(reg) {
                hazard = true
                assignmentTargets[i].aux = Int32(temp)
            }
        }
        if hazard {
            try fs.emit(Instruction(.MOV, a: temp, d: reg))
            try fs.reserveRegisters(1)
        }
    }

    /// Matches `valueCount` values to `count` targets: calls return what is missing, extra
    /// targets get nil, extra values are dropped.
    func adjustAssignment(_ count: UInt32, _ valueCount: UInt32, _ e: inout Expression) throws(LuaSyntaxError) {
        var extra = Int32(count) - Int32(valueCount)
        if e.kind == .call {
            extra += 1
            if extra < 0 { extra = 0 }
            fs.code[Int(e.info)].b = UInt32(extra + 1)
            if extra > 1 { try fs.reserveRegisters(UInt32(extra - 1)) }
        } else {
            if e.kind != .void { try fs.toNextRegister(&e) }
            if extra > 0 {
                let reg = fs.freeRegister
                try fs.reserveRegisters(UInt32(extra))
                try fs.emitNil(reg, UInt32(extra))
            }
        }
        if valueCount > count { fs.freeRegister -= valueCount - count }
    }

    // MARK: Declarations

    private func parseLocal() throws(LuaSyntaxError) {
        if try optional(Tok.function) {
            try declareVariable(0, try name())
            let reg = fs.freeRegister
            try fs.reserveRegisters(1)
            activateVariables(1)
            var body = Expression(.void)
            try parseFunctionBody(&body, needsSelf: false, line: lex.line)
            // Stored without marking the variable as assigned: the capture stays immutable.
            fs.free(body)
            try fs.toRegister(&body, reg)
            variables[Int(fs.variableMap[Int(fs.activeVariables - 1)])].startPC = fs.pc
        } else {
            var count: UInt32 = 0
            repeat {
                try declareVariable(count, try name())
                count += 1
            } while try optional(44)
            var e = Expression(.void)
            var valueCount: UInt32 = 0
            if try optional(61) { valueCount = try parseExpressionList(&e) }
            try adjustAssignment(count, valueCount, &e)
            activateVariables(count)
        }
    }

    private func parseFunctionStatement(_ line: Int32) throws(LuaSyntaxError) {
        try nextToken()  // 'function'
        var v = try resolve(try name())
        var needsSelf = false
        while lex.tok == 46 { try parseField(&v) }  // '.'
        if lex.tok == 58 {  // ':'
            needsSelf = true
            try parseField(&v)
        }
        var body = Expression(.void)
        try parseFunctionBody(&body, needsSelf: needsSelf, line: line)
        try fs.store(v, &body)
        fs.lines[fs.lines.count - 1] = line
    }

    private func parseReturn() throws(LuaSyntaxError) {
        try nextToken()  // 'return'
        fs.flags.insert(.hasReturn)
        let ins: Instruction
        if isBlockEnd(lex.tok) || lex.tok == 59 {
            ins = Instruction(.RET0, a: 0, d: 1)
        } else {
            var e = Expression(.void)
            let count = try parseExpressionList(&e)
            if count == 1 && e.kind == .call && fs.instruction(e).opcode != .VARG {
                let call = fs.instruction(e)
                fs.code.removeLast()  // becomes a tail call
                fs.lines.removeLast()
                ins = Instruction(call.opcode == .CALL ? .CALLT : .CALLMT, a: call.a, d: call.c)
            } else if count == 1 && e.kind != .call {
                ins = Instruction(.RET1, a: try fs.toAnyRegister(&e), d: 2)
            } else if e.kind == .call {
                fs.code[Int(e.info)].b = 0
                ins = Instruction(.RETM, a: fs.activeVariables, d: UInt32(e.aux) - fs.activeVariables)
            } else {
                try fs.toNextRegister(&e)
                ins = Instruction(.RET, a: fs.activeVariables, d: count + 1)
            }
        }
        if fs.flags.contains(.hasChild) { try fs.emit(Instruction(.UCLO, a: 0, jump: 0)) }
        try fs.emit(ins)
    }

    // MARK: Control flow

    /// A condition; returns the jump list taken when it is false.
    private func parseCondition() throws(LuaSyntaxError) -> Int32 {
        var e = Expression(.void)
        try parseExpression(&e)
        if e.kind == .constNil { e.kind = .constFalse }
        try fs.branchIfFalse(&e)
        return e.falseList
    }

    private func parseThen() throws(LuaSyntaxError) -> Int32 {
        try nextToken()  // 'if' or 'elseif'
        let exit = try parseCondition()
        try check(Tok.then)
        try parseBlock()
        return exit
    }

    private func parseIf(_ line: Int32) throws(LuaSyntaxError) {
        var escapes = noJump
        var falseList = try parseThen()
        while lex.tok == Tok.elseif {
            try fs.appendJump(&escapes, try fs.emitJump())
            try fs.jumpToHere(falseList)
            falseList = try parseThen()
        }
        if lex.tok == Tok.else {
            try fs.appendJump(&escapes, try fs.emitJump())
            try fs.jumpToHere(falseList)
            try nextToken()
            try parseBlock()
        } else {
            try fs.appendJump(&escapes, falseList)
        }
        try fs.jumpToHere(escapes)
        try match(Tok.end, Tok.if, line)
    }

    private func parseWhile(_ line: Int32) throws(LuaSyntaxError) {
        try nextToken()  // 'while'
        let start = fs.pc
        fs.lastTarget = start
        let exit = try parseCondition()
        beginScope(.loop)
        try check(Tok.do)
        let loop = try fs.emit(Instruction(.LOOP, a: fs.activeVariables, d: 0))
        try parseBlock()
        try fs.patchJumpList(try fs.emitJump(), to: start)
        try match(Tok.end, Tok.while, line)
        try endScope()
        try fs.jumpToHere(exit)
        try fs.patchJump(loop, to: fs.pc)
    }

    private func parseRepeat(_ line: Int32) throws(LuaSyntaxError) {
        let loop = fs.pc
        fs.lastTarget = loop
        beginScope(.loop)
        beginScope([])
        try nextToken()  // 'repeat'
        try fs.emit(Instruction(.LOOP, a: fs.activeVariables, d: 0))
        try parseBlockBody()
        try match(Tok.until, Tok.repeat, line)
        var exit = try parseCondition()  // still inside the inner scope
        if !fs.scopes.last!.flags.contains(.hasUpvalue) {
            try endScope()
        } else {  // condition true: close and leave; false: close and loop
            try parseBreak()
            try fs.jumpToHere(exit)
            try endScope()
            exit = try fs.emitJump()
        }
        try fs.patchJumpList(exit, to: loop)
        try fs.patchJump(loop, to: fs.pc)
        try endScope()
    }

    private func parseFor(_ line: Int32) throws(LuaSyntaxError) {
        beginScope(.loop)
        try nextToken()  // 'for'
        let variable = try name()
        if lex.tok == 61 {
            try parseNumericFor(variable, line)
        } else if lex.tok == 44 || lex.tok == Tok.in {
            try parseGenericFor(variable)
        } else {
            throw syntaxError("'=' or 'in' expected")
        }
        try match(Tok.end, Tok.for, line)
        try endScope()
    }

    private func parseNumericFor(_ variable: StringID, _ line: Int32) throws(LuaSyntaxError) {
        let base = fs.freeRegister
        try declareVariable(0, hiddenNames[0])
        try declareVariable(1, hiddenNames[1])
        try declareVariable(2, hiddenNames[2])
        try declareVariable(3, variable)
        try check(61)
        try parseExpressionToNextRegister()
        try check(44)
        try parseExpressionToNextRegister()
        if try optional(44) {
            try parseExpressionToNextRegister()
        } else {
            try fs.emit(Instruction(.KSHORT, a: fs.freeRegister, d: 1))
            try fs.reserveRegisters(1)
        }
        activateVariables(3)
        try check(Tok.do)
        let loop = try fs.emit(Instruction(.FORI, a: base, jump: noJump))
        beginScope([])
        activateVariables(1)
        try fs.reserveRegisters(1)
        try parseBlock()
        try endScope()
        let loopEnd = try fs.emit(Instruction(.FORL, a: base, jump: noJump))
        fs.lines[Int(loopEnd)] = line
        try fs.patchJump(loopEnd, to: loop + 1)
        try fs.patchJump(loop, to: fs.pc)
    }

    private func parseGenericFor(_ firstVariable: StringID) throws(LuaSyntaxError) {
        let base = fs.freeRegister + 3
        let expressionPC = fs.pc
        var count: UInt32 = 0
        try declareVariable(count, hiddenNames[3]); count += 1
        try declareVariable(count, hiddenNames[4]); count += 1
        try declareVariable(count, hiddenNames[5]); count += 1
        try declareVariable(count, firstVariable); count += 1
        while try optional(44) {
            try declareVariable(count, try name())
            count += 1
        }
        try check(Tok.in)
        let line = lex.line
        var e = Expression(.void)
        let valueCount = try parseExpressionList(&e)
        try adjustAssignment(3, valueCount, &e)
        try fs.bumpRegisters(4)  // the iterator call needs func, frame link, state, control
        let isNext = count <= 5 && predictsNext(expressionPC)
        activateVariables(3)
        try check(Tok.do)
        let loop = try fs.emit(Instruction(isNext ? .ISNEXT : .JMP, a: base, jump: noJump))
        beginScope([])
        activateVariables(count - 3)
        try fs.reserveRegisters(count - 3)
        try parseBlock()
        try endScope()
        try fs.patchJump(loop, to: fs.pc)
        try fs.emit(Instruction(isNext ? .ITERN : .ITERC, a: base, b: count - 3 + 1, c: 3))
        let loopEnd = try fs.emit(Instruction(.ITERL, a: base, jump: noJump))
        fs.lines[Int(loopEnd) - 1] = line
        fs.lines[Int(loopEnd)] = line
        try fs.patchJump(loopEnd, to: loop + 1)
    }

    /// Whether the iterator expression looks like `pairs(...)` or `next, ...`, so the loop
    /// can start with the specialized ISNEXT/ITERN pair.
    private func predictsNext(_ pc: Int32) -> Bool {
        guard Int(pc) < fs.code.count else { return false }
        let ins = fs.code[Int(pc)]
        let name: StringID
        switch ins.opcode {
        case .MOV:
            name = variable(fs, ins.d).name
        case .UGET:
            name = variables[Int(fs.upvalueMap[Int(ins.d)])].name
        case .GGET:
            guard case .string(let s) = fs.gcConstants[Int(ins.d)] else { return false }
            name = s
        default:
            return false
        }
        return name == pairsName || name == nextName
    }
}
