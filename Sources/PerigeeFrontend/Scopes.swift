/// Scopes: declaring and resolving locals, upvalues and globals, closing upvalues at block
/// ends, and matching gotos (and `break`, a goto to the loop's end) with their labels.

extension Parser {
    // MARK: Variables

    /// Declares the `n`-th new local (active only after `activateVariables`).
    func declareVariable(_ n: UInt32, _ name: StringID) throws(LuaSyntaxError) {
        if fs.activeVariables + n >= maxLocals { throw limitError(Int(maxLocals), "local variables") }
        if variables.count >= maxVariableStack {
            throw lex.error(token: 0, "chunk has more than \(maxVariableStack) local variables")
        }
        fs.variableMap[Int(fs.activeVariables + n)] = UInt16(variables.count)
        variables.append(VariableSlot(name: name, startPC: 0, endPC: 0, slot: 0, flags: []))
    }

    func activateVariables(_ n: UInt32) {
        var active = fs.activeVariables
        for _ in 0..<n {
            let index = Int(fs.variableMap[Int(active)])
            variables[index].startPC = fs.pc
            variables[index].slot = UInt8(active)
            variables[index].flags = []
            active += 1
        }
        fs.activeVariables = active
    }

    func removeVariables(downTo level: UInt32) {
        while fs.activeVariables > level {
            fs.activeVariables -= 1
            variables[Int(fs.variableMap[Int(fs.activeVariables)])].endPC = fs.pc
        }
    }

    func variable(_ f: FunctionState, _ register: UInt32) -> VariableSlot {
        variables[Int(f.variableMap[Int(register)])]
    }

    /// Resolves a name to a local, an upvalue (created on the way in) or a global.
    func resolve(_ name: StringID) throws(LuaSyntaxError) -> Expression {
        var e = Expression(.global)
        e.string = name
        _ = try resolve(name, depth: openFunctions.count - 1, &e, first: true)
        return e
    }

    /// Looks `name` up in the function at `depth` of `openFunctions` and outwards; returns
    /// the variable stack index found, or -1 for a global.
    private func resolve(_ name: StringID, depth: Int, _ e: inout Expression, first: Bool) throws(LuaSyntaxError) -> Int {
        if depth < 0 { return -1 }
        // The innermost function is `fs`: no array access (and no reference count) for it.
        let f = depth == openFunctions.count - 1 ? fs : openFunctions[depth]
        var r = Int(f.activeVariables) - 1
        while r >= 0 {
            if variables[Int(f.variableMap[r])].name == name {
                e = Expression(.local, UInt32(r))
                if !first { markScopeWithUpvalue(f, UInt32(r)) }
                e.aux = Int32(f.variableMap[r])
                return Int(e.aux)
            }
            r -= 1
        }
        let index = try resolve(name, depth: depth - 1, &e, first: false)
        if index >= 0 {
            e.info = try upvalueIndex(f, index, e)
            e.kind = .upvalue
        }
        return index
    }

    private func upvalueIndex(_ f: FunctionState, _ variableIndex: Int, _ e: Expression) throws(LuaSyntaxError) -> UInt32 {
        for (i, v) in f.upvalueMap.enumerated() where Int(v) == variableIndex { return UInt32(i) }
        if f.upvalueMap.count >= maxUpvalues { throw limitError(maxUpvalues, "upvalues", in: f) }
        f.upvalueMap.append(UInt16(variableIndex))
        f.upvalueSource.append(e.kind == .local ? UInt32(variableIndex) : variableStackLimit + e.info)
        return UInt32(f.upvalueMap.count - 1)
    }

    /// The innermost scope that contains `register` now has a captured variable.
    private func markScopeWithUpvalue(_ f: FunctionState, _ register: UInt32) {
        var i = f.scopes.count - 1
        while i >= 0 && f.scopes[i].activeVariables > register { i -= 1 }
        if i >= 0 { f.scopes[i].flags.insert(.hasUpvalue) }
    }

    // MARK: Scopes

    func beginScope(_ flags: ScopeFlags) {
        fs.scopes.append(Scope(variableStart: variables.count, activeVariables: fs.activeVariables, flags: flags))
    }

    func endScope() throws(LuaSyntaxError) {
        let scope = fs.scopes.removeLast()
        removeVariables(downTo: scope.activeVariables)
        fs.freeRegister = fs.activeVariables
        if scope.flags.intersection([.hasUpvalue, .noClose]) == .hasUpvalue {
            try fs.emit(Instruction(.UCLO, a: scope.activeVariables, jump: 0))
        }
        if scope.flags.contains(.hasBreak) {
            if scope.flags.contains(.loop) {
                let index = try newGotoOrLabel(breakName, .label, fs.pc)
                variables.removeLast(variables.count - index)  // the break label is dropped at once
                let label = VariableSlot(name: breakName, startPC: fs.pc, endPC: 0, slot: UInt8(fs.activeVariables), flags: .label)
                try resolveGotos(scope, label, labelIndex: index)
            } else {
                try fixupGotos(scope)
                return
            }
        }
        if scope.flags.contains(.hasGotoOrLabel) { try fixupGotos(scope) }
    }

    func parseBlock() throws(LuaSyntaxError) {
        beginScope([])
        try parseBlockBody()
        try endScope()
    }

    // MARK: Gotos and labels

    @discardableResult
    func newGotoOrLabel(_ name: StringID, _ flags: VariableFlags, _ pc: Int32) throws(LuaSyntaxError) -> Int {
        if variables.count >= maxVariableStack {
            throw lex.error(token: 0, "chunk has more than \(maxVariableStack) local variables")
        }
        variables.append(VariableSlot(name: name, startPC: pc, endPC: 0, slot: UInt8(fs.activeVariables), flags: flags))
        return variables.count - 1
    }

    /// Points the goto's jump at the label, leaving through the label's variable level.
    private func patchGoto(_ gotoIndex: Int, _ label: VariableSlot) throws(LuaSyntaxError) {
        let pc = variables[gotoIndex].startPC
        variables[gotoIndex].name = invalidName
        fs.code[Int(pc)].a = UInt32(label.slot)
        try fs.patchJumpList(pc, to: label.startPC)
    }

    /// Makes a goto close upvalues on its way out (its JMP becomes a UCLO).
    private func closeGoto(_ gotoIndex: Int) throws(LuaSyntaxError) {
        let pc = variables[gotoIndex].startPC
        fs.code[Int(pc)].a = UInt32(variables[gotoIndex].slot)
        if fs.code[Int(pc)].opcode == .JMP {
            let next = fs.jumpNext(pc)
            if next != noJump { try fs.patchJumpList(next, to: pc) }
            fs.code[Int(pc)].setOpcode(.UCLO)
            fs.code[Int(pc)].jump = noJump
        }
    }

    /// Resolves forward gotos of this scope to the label just defined.
    private func resolveGotos(_ scope: Scope, _ label: VariableSlot, labelIndex: Int) throws(LuaSyntaxError) {
        var i = scope.variableStart
        while i < labelIndex {
            let g = variables[i]
            if g.name == label.name && g.flags.contains(.pendingGoto) {
                if g.slot < label.slot {
                    let local = variable(fs, UInt32(g.slot)).name
                    lex.line = fs.lines[Int(g.startPC)]
                    throw lex.error(token: 0, "<goto \(lex.pool.string(g.name))> jumps into the scope of local '\(lex.pool.string(local))'")
                }
                try patchGoto(i, label)
            }
            i += 1
        }
    }

    /// At a scope's end: resolve backward gotos to its labels, retire the labels, and hand
    /// pending gotos (and breaks) to the enclosing scope.
    private func fixupGotos(_ scope: Scope) throws(LuaSyntaxError) {
        var i = scope.variableStart
        while i < variables.count {
            let name = variables[i].name
            if name != invalidName {
                if variables[i].flags.contains(.label) {
                    let label = variables[i]
                    variables[i].name = invalidName
                    var j = i + 1
                    while j < variables.count {
                        if variables[j].name == name && variables[j].flags.contains(.pendingGoto) {
                            if scope.flags.contains(.hasUpvalue) && variables[j].slot > label.slot {
                                try closeGoto(j)
                            }
                            try patchGoto(j, label)
                        }
                        j += 1
                    }
                } else if variables[i].flags.contains(.pendingGoto) {
                    if fs.scopes.count > 0 {
                        let outer = fs.scopes.count - 1
                        fs.scopes[outer].flags.insert(name == breakName ? .hasBreak : .hasGotoOrLabel)
                        variables[i].slot = UInt8(scope.activeVariables)
                        if scope.flags.contains(.hasUpvalue) { try closeGoto(i) }
                    } else {
                        lex.line = fs.lines[Int(variables[i].startPC)]
                        if name == breakName { throw lex.error(token: 0, "no loop to break") }
                        throw lex.error(token: 0, "undefined label '\(lex.pool.string(name))'")
                    }
                }
            }
            i += 1
        }
    }

    private func findLabel(_ name: StringID) -> Int? {
        var i = fs.scopes.last!.variableStart
        while i < variables.count {
            if variables[i].name == name && variables[i].flags.contains(.label) { return i }
            i += 1
        }
        return nil
    }

    func parseBreak() throws(LuaSyntaxError) {
        fs.scopes[fs.scopes.count - 1].flags.insert(.hasBreak)
        try newGotoOrLabel(breakName, .pendingGoto, try fs.emitJump())
    }

    func parseGoto() throws(LuaSyntaxError) {
        let label = try name()
        if let existing = findLabel(label) {  // a backward goto in the same scope is a loop
            try fs.emit(Instruction(.LOOP, a: UInt32(variables[existing].slot), jump: -1))
        }
        fs.scopes[fs.scopes.count - 1].flags.insert(.hasGotoOrLabel)
        try newGotoOrLabel(label, .pendingGoto, try fs.emitJump())
    }

    func parseLabel() throws(LuaSyntaxError) {
        fs.lastTarget = fs.pc
        fs.scopes[fs.scopes.count - 1].flags.insert(.hasGotoOrLabel)
        try nextToken()  // '::'
        let label = try name()
        if findLabel(label) != nil { throw lex.error(token: 0, "duplicate label '\(lex.pool.string(label))'") }
        let index = try newGotoOrLabel(label, .label, fs.pc)
        try check(Tok.label)
        while lex.tok == Tok.label {  // trailing labels
            try enterLevel()
            try parseLabel()
            level -= 1
        }
        // A label at the end of a block is outside the scope of the block's locals.
        if isBlockEnd(lex.tok) && lex.tok != Tok.until {
            variables[index].slot = UInt8(fs.scopes.last!.activeVariables)
        }
        try resolveGotos(fs.scopes.last!, variables[index], labelIndex: index)
    }

    func isBlockEnd(_ t: Token) -> Bool {
        t == Tok.else || t == Tok.elseif || t == Tok.end || t == Tok.until || t == Tok.eof
    }
}
