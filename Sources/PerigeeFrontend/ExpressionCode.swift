#if canImport(Glibc)
import Glibc
#endif

/// Expression descriptors and their code generation: discharging to registers, constants,
/// stores, branches on conditions, and the unary, arithmetic, comparison and concat operators.

enum ExpressionKind: UInt8 {
    // Constants (ordered: nil, false, true are also KPRI's operand values).
    case constNil, constFalse, constTrue, constString, constCData, constNumber
    /// A local variable: `info` = register, `aux` = variable stack index.
    case local
    /// An upvalue: `info` = upvalue index, `aux` = variable stack index.
    case upvalue
    /// A global: `string` = its name.
    case global
    /// `t[k]`: `info` = table register; `aux` = key register (0...255),
    /// 256 + byte constant, or ~string constant (negative).
    case indexed
    /// A comparison: `info` = pc of its JMP.
    case jump
    /// An instruction at `info` whose destination register is still open.
    case relocatable
    /// A value in register `info`.
    case nonRelocatable
    /// A call or vararg at pc `info`, results based at `aux`.
    case call
    case void
}

/// What the parser knows about an expression before it must exist in a register.
struct Expression {
    var kind: ExpressionKind
    var info: UInt32 = 0
    var aux: Int32 = 0
    var string: StringID = -1
    var number: NumberLiteral = .number(0)
    /// Jump lists taken when the expression is true / false.
    var trueList: Int32 = noJump
    var falseList: Int32 = noJump

    init(_ kind: ExpressionKind, _ info: UInt32 = 0) {
        self.kind = kind
        self.info = info
    }

    var hasJumps: Bool { trueList != falseList }
    var isConstant: Bool { kind.rawValue <= ExpressionKind.constNumber.rawValue && kind != .constCData }
    var isConstantNoJumps: Bool { isConstant && !hasJumps }
    var isNumber: Bool { if kind == .constNumber, case .number = number { return true } else { return false } }
    var isNumberNoJumps: Bool { isNumber && !hasJumps }
    var numberValue: Double { if case .number(let n) = number { return n } else { return 0 } }
    var isZero: Bool { isNumber && numberValue == 0 }
}

enum BinaryOperator: Int {
    case add, sub, mul, div, mod, pow, concat, ne, eq, lt, ge, le, gt, and, or

    /// Left and right binding power; `^` and `..` bind tighter to the right.
    var priority: (left: Int, right: Int) {
        switch self {
        case .add, .sub: return (6, 6)
        case .mul, .div, .mod: return (7, 7)
        case .pow: return (10, 9)
        case .concat: return (5, 4)
        case .ne, .eq, .lt, .ge, .le, .gt: return (3, 3)
        case .and: return (2, 2)
        case .or: return (1, 1)
        }
    }
}

let unaryPriority = 8

extension FunctionState {
    func instruction(_ e: Expression) -> Instruction { code[Int(e.info)] }

    // MARK: Discharging

    /// Turns variable references into instructions (or registers).
    func discharge(_ e: inout Expression) throws(LuaSyntaxError) {
        let ins: Instruction
        switch e.kind {
        case .upvalue:
            ins = Instruction(.UGET, a: 0, d: e.info)
        case .global:
            ins = Instruction(.GGET, a: 0, d: stringConstant(e.string))
        case .indexed:
            let key = e.aux
            if key < 0 {
                ins = Instruction(.TGETS, a: 0, b: e.info, c: UInt32(~key))
            } else if key > Int32(maxC) {
                ins = Instruction(.TGETB, a: 0, b: e.info, c: UInt32(key) - (maxC + 1))
            } else {
                freeRegister(UInt32(key))
                ins = Instruction(.TGETV, a: 0, b: e.info, c: UInt32(key))
            }
            freeRegister(e.info)
        case .call:
            e.info = UInt32(e.aux)
            e.kind = .nonRelocatable
            return
        case .local:
            e.kind = .nonRelocatable
            return
        default:
            return
        }
        e.info = UInt32(try emit(ins))
        e.kind = .relocatable
    }

    func free(_ e: Expression) {
        if e.kind == .nonRelocatable { freeRegister(e.info) }
    }

    /// Emits KNIL/KPRI for `n` registers from `from`, merged into a preceding nil load.
    func emitNil(_ from: UInt32, _ n: UInt32) throws(LuaSyntaxError) {
        var from = from, n = n
        if pc > lastTarget {
            let last = Int(pc - 1)
            var ins = code[last]
            let previousFrom = ins.a
            switch ins.opcode {
            case .KPRI:
                if ins.d != 0 { break }
                if from == previousFrom {
                    if n == 1 { return }
                } else if from == previousFrom + 1 {
                    from = previousFrom
                    n += 1
                } else {
                    break
                }
                code[last] = Instruction(.KNIL, a: from, d: from + n - 1)
                return
            case .KNIL:
                let previousTo = ins.d
                if previousFrom <= from && from <= previousTo + 1 {
                    if from + n - 1 > previousTo {
                        ins.d = from + n - 1
                        code[last] = ins
                    }
                    return
                }
            default:
                break
            }
        }
        try emit(n == 1 ? Instruction(.KPRI, a: from, d: 0) : Instruction(.KNIL, a: from, d: from + n - 1))
    }

    func toRegisterNoBranch(_ e: inout Expression, _ reg: UInt32) throws(LuaSyntaxError) {
        try discharge(&e)
        let ins: Instruction
        switch e.kind {
        case .constString:
            ins = Instruction(.KSTR, a: reg, d: stringConstant(e.string))
        case .constNumber:
            let n = e.numberValue
            let k = Int32(exactly: n.rounded(.towardZero)) ?? Int32.min
            if k >= -32768 && k <= 32767 && n == Double(k) {
                ins = Instruction(.KSHORT, a: reg, d: UInt32(UInt16(bitPattern: Int16(k))))
            } else {
                ins = Instruction(.KNUM, a: reg, d: numberConstant(n))
            }
        case .constCData:
            flags.insert(.usesFFI)
            let constant: GCConstant
            switch e.number {
            case .int64(let v): constant = .int64(v)
            case .uint64(let v): constant = .uint64(v)
            case .imaginary(let v): constant = .imaginary(v)
            case .number(let v): constant = .imaginary(v)
            }
            ins = Instruction(.KCDATA, a: reg, d: uniqueConstant(constant))
        case .relocatable:
            code[Int(e.info)].a = reg
            e.info = reg
            e.kind = .nonRelocatable
            return
        case .nonRelocatable:
            if reg == e.info { return }
            ins = Instruction(.MOV, a: reg, d: e.info)
        case .constNil:
            try emitNil(reg, 1)
            e.info = reg
            e.kind = .nonRelocatable
            return
        case .constFalse, .constTrue:
            ins = Instruction(.KPRI, a: reg, d: UInt32(e.kind.rawValue))
        default:
            return  // void or jump
        }
        try emit(ins)
        e.info = reg
        e.kind = .nonRelocatable
    }

    func toRegister(_ e: inout Expression, _ reg: UInt32) throws(LuaSyntaxError) {
        try toRegisterNoBranch(&e, reg)
        if e.kind == .jump { try appendJump(&e.trueList, Int32(e.info)) }
        if e.hasJumps {
            var jumpFalse = noJump, jumpTrue = noJump
            if jumpListNeedsValue(e.trueList) || jumpListNeedsValue(e.falseList) {
                let jumpValue = e.kind == .jump ? noJump : try emitJump()
                jumpFalse = try emit(Instruction(.KPRI, a: reg, d: 1))
                try emit(Instruction(.JMP, a: freeRegister, jump: 1))
                jumpTrue = try emit(Instruction(.KPRI, a: reg, d: 2))
                try jumpToHere(jumpValue)
            }
            let end = pc
            lastTarget = end
            try patchJumpValues(e.falseList, valueTarget: end, register: reg, defaultTarget: jumpFalse)
            try patchJumpValues(e.trueList, valueTarget: end, register: reg, defaultTarget: jumpTrue)
        }
        e.falseList = noJump
        e.trueList = noJump
        e.info = reg
        e.kind = .nonRelocatable
    }

    func toNextRegister(_ e: inout Expression) throws(LuaSyntaxError) {
        try discharge(&e)
        free(e)
        try reserveRegisters(1)
        try toRegister(&e, freeRegister - 1)
    }

    @discardableResult
    func toAnyRegister(_ e: inout Expression) throws(LuaSyntaxError) -> UInt32 {
        try discharge(&e)
        if e.kind == .nonRelocatable {
            if !e.hasJumps { return e.info }
            if e.info >= activeVariables {
                try toRegister(&e, e.info)
                return e.info
            }
        }
        try toNextRegister(&e)
        return e.info
    }

    func toValue(_ e: inout Expression) throws(LuaSyntaxError) {
        if e.hasJumps { try toAnyRegister(&e) } else { try discharge(&e) }
    }

    // MARK: Stores and indexing

    func store(_ variable: Expression, _ e: inout Expression) throws(LuaSyntaxError) {
        let ins: Instruction
        switch variable.kind {
        case .local:
            parser.variables[Int(variable.aux)].flags.insert(.readWrite)
            free(e)
            try toRegister(&e, variable.info)
            return
        case .upvalue:
            parser.variables[Int(variable.aux)].flags.insert(.readWrite)
            try toValue(&e)
            switch e.kind {
            case .constNil, .constFalse, .constTrue:
                ins = Instruction(.USETP, a: variable.info, d: UInt32(e.kind.rawValue))
            case .constString:
                ins = Instruction(.USETS, a: variable.info, d: stringConstant(e.string))
            case .constNumber where e.isNumber:
                ins = Instruction(.USETN, a: variable.info, d: numberConstant(e.numberValue))
            default:
                ins = Instruction(.USETV, a: variable.info, d: try toAnyRegister(&e))
            }
        case .global:
            let ra = try toAnyRegister(&e)
            ins = Instruction(.GSET, a: ra, d: stringConstant(variable.string))
        default:
            let ra = try toAnyRegister(&e)
            let key = variable.aux
            if key < 0 {
                ins = Instruction(.TSETS, a: ra, b: variable.info, c: UInt32(~key))
            } else if key > Int32(maxC) {
                ins = Instruction(.TSETB, a: ra, b: variable.info, c: UInt32(key) - (maxC + 1))
            } else {
                ins = Instruction(.TSETV, a: ra, b: variable.info, c: UInt32(key))
            }
        }
        try emit(ins)
        free(e)
    }

    /// Makes `t` an indexed expression with key `key` (already a value).
    func index(_ t: inout Expression, _ key: inout Expression) throws(LuaSyntaxError) {
        t.kind = .indexed
        if key.isNumber {
            let n = key.numberValue
            if n >= 0 && n <= 255 && n == n.rounded(.towardZero) {
                t.aux = Int32(maxC) + 1 + Int32(n)
                return
            }
        } else if key.kind == .constString {
            let k = stringConstant(key.string)
            if k <= maxC {
                t.aux = ~Int32(k)
                return
            }
        }
        t.aux = Int32(try toAnyRegister(&key))
    }

    /// `obj:name` — the method and its object in two fresh registers.
    func method(_ e: inout Expression, _ key: Expression) throws(LuaSyntaxError) {
        let object = try toAnyRegister(&e)
        free(e)
        let function = freeRegister
        try emit(Instruction(.MOV, a: function + 2, d: object))
        let k = stringConstant(key.string)
        if k <= maxC {
            try reserveRegisters(3)
            try emit(Instruction(.TGETS, a: function, b: object, c: k))
        } else {
            try reserveRegisters(4)
            try emit(Instruction(.KSTR, a: function + 3, d: k))
            try emit(Instruction(.TGETV, a: function, b: object, c: function + 3))
            freeRegister -= 1
        }
        e.info = function
        e.kind = .nonRelocatable
    }

    // MARK: Branches

    /// A JMP to be patched later, absorbing any jumps pending to here.
    func emitJump() throws(LuaSyntaxError) -> Int32 {
        let pending = pendingJumps
        var j = pc - 1
        pendingJumps = noJump
        if j >= lastTarget && j >= 0 && code[Int(j)].opcode == .UCLO {
            code[Int(j)].jump = noJump
            lastTarget = j + 1
        } else {
            j = try emit(Instruction(.JMP, a: freeRegister, jump: noJump))
        }
        try appendJump(&j, pending)
        return j
    }

    func invertCondition(_ e: Expression) {
        let i = Int(e.info) - 1
        code[i].raw ^= 1
    }

    private func emitBranch(_ e: inout Expression, jumpIfTrue: Bool) throws(LuaSyntaxError) -> Int32 {
        if e.kind == .relocatable {
            let ins = instruction(e)
            if ins.opcode == .NOT {
                code[Int(e.info)] = Instruction(jumpIfTrue ? .ISF : .IST, a: 0, d: ins.d)
                return try emitJump()
            }
        }
        if e.kind != .nonRelocatable {
            try reserveRegisters(1)
            try toRegisterNoBranch(&e, freeRegister - 1)
        }
        try emit(Instruction(jumpIfTrue ? .ISTC : .ISFC, a: noRegister, d: e.info))
        let j = try emitJump()
        free(e)
        return j
    }

    /// Falls through when `e` is true; jumps (via its false list) otherwise.
    func branchIfFalse(_ e: inout Expression) throws(LuaSyntaxError) {
        try discharge(&e)
        let j: Int32
        switch e.kind {
        case .constString, .constNumber, .constTrue:
            j = noJump
        case .jump:
            invertCondition(e)
            j = Int32(e.info)
        case .constFalse, .constNil:
            try toRegisterNoBranch(&e, noRegister)
            j = try emitJump()
        default:
            j = try emitBranch(&e, jumpIfTrue: false)
        }
        try appendJump(&e.falseList, j)
        try jumpToHere(e.trueList)
        e.trueList = noJump
    }

    /// Falls through when `e` is false; jumps (via its true list) otherwise.
    func branchIfTrue(_ e: inout Expression) throws(LuaSyntaxError) {
        try discharge(&e)
        let j: Int32
        switch e.kind {
        case .constNil, .constFalse:
            j = noJump
        case .jump:
            j = Int32(e.info)
        case .constString, .constNumber, .constTrue:
            try toRegisterNoBranch(&e, noRegister)
            j = try emitJump()
        default:
            j = try emitBranch(&e, jumpIfTrue: true)
        }
        try appendJump(&e.trueList, j)
        try jumpToHere(e.falseList)
        e.falseList = noJump
    }

    // MARK: Operators

    func unary(_ op: Opcode, _ e: inout Expression) throws(LuaSyntaxError) {
        if op == .NOT {
            swap(&e.trueList, &e.falseList)
            dropJumpValues(e.falseList)
            dropJumpValues(e.trueList)
            try discharge(&e)
            if e.kind == .constNil || e.kind == .constFalse {
                e.kind = .constTrue
                return
            } else if e.isConstant || e.kind == .constCData {
                e.kind = .constFalse
                return
            } else if e.kind == .jump {
                invertCondition(e)
                return
            } else if e.kind == .relocatable {
                try reserveRegisters(1)
                code[Int(e.info)].a = freeRegister - 1
                e.info = freeRegister - 1
                e.kind = .nonRelocatable
            }
        } else {
            if op == .UNM && !e.hasJumps {
                if e.kind == .constCData {
                    switch e.number {  // the FFI negates in place; complex: imaginary part only
                    case .int64(let v): e.number = .int64(0 &- v)
                    case .uint64(let v): e.number = .uint64(0 &- v)
                    case .imaginary(let v): e.number = .imaginary(-v)
                    case .number: break
                    }
                    return
                }
                if e.isNumber && !e.isZero {  // -0 is never folded into a constant
                    e.number = .number(-e.numberValue)
                    return
                }
            }
            try toAnyRegister(&e)
        }
        free(e)
        e.info = UInt32(try emit(Instruction(op, a: 0, d: e.info)))
        e.kind = .relocatable
    }

    /// Folds arithmetic on two number constants, unless the result is NaN or -0.
    private func foldArithmetic(_ op: BinaryOperator, _ e1: inout Expression, _ e2: Expression) -> Bool {
        guard e1.isNumberNoJumps && e2.isNumberNoJumps else { return false }
        let result = arithmetic(op, e1.numberValue, e2.numberValue)
        if result.isNaN || (result == 0 && result.sign == .minus) { return false }
        e1.number = .number(result)
        return true
    }

    private func arithmetic(_ op: BinaryOperator, _ a: Double, _ b: Double) -> Double {
        switch op {
        case .add: return a + b
        case .sub: return a - b
        case .mul: return a * b
        case .div: return a / b
        case .mod: return luaModulo(a, b)
        default: return luaPow(a, b)
        }
    }

    private func emitArithmetic(_ op: BinaryOperator, _ e1: inout Expression, _ e2: inout Expression) throws(LuaSyntaxError) {
        if foldArithmetic(op, &e1, e2) { return }
        var opcode: Opcode
        var rb: UInt32, rc: UInt32
        if op == .pow {
            opcode = .POW
            rc = try toAnyRegister(&e2)
            rb = try toAnyRegister(&e1)
        } else {
            let vvBase = Opcode.ADDVV.rawValue + UInt8(op.rawValue)
            opcode = Opcode(rawValue: vvBase)!
            // The second operand first: an indexed one may free registers.
            try toValue(&e2)
            if e2.isNumber, case let k = numberConstant(e2.numberValue), k <= maxC {
                rc = k
                opcode = Opcode(rawValue: vvBase - 10)!
            } else {
                rc = try toAnyRegister(&e2)
            }
            try toValue(&e1)
            if e1.isNumber && !e2.isNumber, case let t = numberConstant(e1.numberValue), t <= maxC {
                rb = rc
                rc = t
                opcode = Opcode(rawValue: vvBase - 5)!
            } else {
                rb = try toAnyRegister(&e1)
            }
        }
        if e1.kind == .nonRelocatable && e1.info >= activeVariables { freeRegister -= 1 }
        if e2.kind == .nonRelocatable && e2.info >= activeVariables { freeRegister -= 1 }
        e1.info = UInt32(try emit(Instruction(opcode, a: 0, b: rb, c: rc)))
        e1.kind = .relocatable
    }

    private func emitComparison(_ op: BinaryOperator, _ left: inout Expression, _ right: inout Expression) throws(LuaSyntaxError) {
        try toValue(&left)
        var e1 = left, e2 = right
        var swapped = false
        let ins: Instruction
        if op == .eq || op == .ne {
            let base: UInt8 = op == .eq ? Opcode.ISEQV.rawValue : Opcode.ISNEV.rawValue
            if e1.isConstant { swap(&e1, &e2); swapped = true }  // constant goes second
            let ra = try toAnyRegister(&e1)
            try toValue(&e2)
            switch e2.kind {
            case .constNil, .constFalse, .constTrue:
                ins = Instruction(Opcode(rawValue: base + 6)!, a: ra, d: UInt32(e2.kind.rawValue))
            case .constString:
                ins = Instruction(Opcode(rawValue: base + 2)!, a: ra, d: stringConstant(e2.string))
            case .constNumber where e2.isNumber:
                ins = Instruction(Opcode(rawValue: base + 4)!, a: ra, d: numberConstant(e2.numberValue))
            default:
                ins = Instruction(Opcode(rawValue: base)!, a: ra, d: try toAnyRegister(&e2))
            }
        } else {
            var opcode: Opcode
            let ra: UInt32, rd: UInt32
            switch op {
            case .lt: opcode = .ISLT
            case .ge: opcode = .ISGE
            case .le: opcode = .ISLE
            default: opcode = .ISGT
            }
            if opcode == .ISGE || opcode == .ISGT {  // a >= b is b <= a; a > b is b < a
                swap(&e1, &e2); swapped = true
                opcode = opcode == .ISGE ? .ISLE : .ISLT
                try toValue(&e1)
                ra = try toAnyRegister(&e1)
                rd = try toAnyRegister(&e2)
            } else {
                rd = try toAnyRegister(&e2)
                ra = try toAnyRegister(&e1)
            }
            ins = Instruction(opcode, a: ra, d: rd)
        }
        if e1.kind == .nonRelocatable && e1.info >= activeVariables { freeRegister -= 1 }
        if e2.kind == .nonRelocatable && e2.info >= activeVariables { freeRegister -= 1 }
        if swapped { right = e1; left = e2 } else { left = e1; right = e2 }
        try emit(ins)
        left.info = UInt32(try emitJump())
        left.kind = .jump
    }

    /// Prepares the left operand before the right one is parsed.
    func binaryLeft(_ op: BinaryOperator, _ e: inout Expression) throws(LuaSyntaxError) {
        switch op {
        case .and: try branchIfFalse(&e)
        case .or: try branchIfTrue(&e)
        case .concat: try toNextRegister(&e)
        case .eq, .ne: if !e.isConstantNoJumps { try toAnyRegister(&e) }
        default: if !e.isNumberNoJumps { try toAnyRegister(&e) }
        }
    }

    func binary(_ op: BinaryOperator, _ e1: inout Expression, _ e2: inout Expression) throws(LuaSyntaxError) {
        switch op {
        case .add, .sub, .mul, .div, .mod, .pow:
            try emitArithmetic(op, &e1, &e2)
        case .and:
            try discharge(&e2)
            try appendJump(&e2.falseList, e1.falseList)
            e1 = e2
        case .or:
            try discharge(&e2)
            try appendJump(&e2.trueList, e1.trueList)
            e1 = e2
        case .concat:
            try toValue(&e2)
            if e2.kind == .relocatable && instruction(e2).opcode == .CAT {
                free(e1)
                code[Int(e2.info)].b = e1.info
                e1.info = e2.info
            } else {
                try toNextRegister(&e2)
                free(e2)
                free(e1)
                e1.info = UInt32(try emit(Instruction(.CAT, a: 0, b: e1.info, c: e2.info)))
            }
            e1.kind = .relocatable
        default:
            try emitComparison(op, &e1, &e2)
        }
    }
}

/// `^` with the C library's pow, as Lua uses it (constant folding and the runtime share it).
@inlinable @inline(__always) public func luaPow(_ a: Double, _ b: Double) -> Double { pow(a, b) }

/// Lua's `%`: `a - floor(a / b) * b`.
@inlinable @inline(__always) public func luaModulo(_ a: Double, _ b: Double) -> Double { a - (a / b).rounded(.down) * b }
