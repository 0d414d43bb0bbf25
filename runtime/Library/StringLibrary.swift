/// The string library's pattern functions and `format`: the glue between Lua values and the
/// byte-level engines (StringPattern*, StringFormat*).

extension LuaVM {
    func openStringPatterns(_ S: TableRef) {
        register("find", in: S) { raw in
            let c = BuiltinCall(raw, "find")
            return LuaVM.withCurrent { $0.find(c, returnsPositions: true) }
        }
        register("match", in: S) { raw in
            let c = BuiltinCall(raw, "match")
            return LuaVM.withCurrent { $0.find(c, returnsPositions: false) }
        }
        register("gmatch", in: S) { raw in
            let c = BuiltinCall(raw, "gmatch")
            guard c.string(1) != nil else { return c.typeError(1, expected: "string") }
            guard c.string(2) != nil else { return c.typeError(2, expected: "string") }
            let vm = c.vm
            guard let iterator = vm.g.newBuiltin({ raw in
                let c = BuiltinCall(raw, "gmatch")
                return LuaVM.withCurrent { $0.gmatchStep(c) }
            }, upvalueCount: 3, env: vm.globals) else {
                vm.errorValue = vm.memoryErrorValue
                return builtinError
            }
            iterator.setUpvalue(0, Value(string: c.string(1)!), vm.g)
            iterator.setUpvalue(1, Value(string: c.string(2)!), vm.g)
            iterator.setUpvalue(2, Value(number: 0), vm.g)
            return c.results(Value(function: iterator))
        }
        register("gsub", in: S) { raw in
            let c = BuiltinCall(raw, "gsub")
            return LuaVM.withCurrent { $0.gsub(c) }
        }
        register("format", in: S) { raw in
            let c = BuiltinCall(raw, "format")
            return LuaVM.withCurrent { $0.format(c) }
        }
    }

    /// Pushes the captures of the last match (or the whole match when there are none).
    private func pushCaptures(_ c: BuiltinCall, _ m: PatternMatcher, _ whole: Range<Int>, count: Int) -> Int32? {
        for i in 0..<count {
            do {
                switch try m.capture(i, wholeMatch: whole) {
                case .bytes(let r):
                    c.push(string(UnsafeBufferPointer(rebasing: m.subject[r])))
                case .position(let p):
                    c.push(Value(number: Double(p)))
                }
            } catch {
                return c.error(error.message)
            }
        }
        return nil
    }

    /// `string.find` (positions, then captures) and `string.match` (captures).
    func find(_ c: BuiltinCall, returnsPositions: Bool) -> Int32 {
        guard let s = c.string(1) else { return c.typeError(1, expected: "string") }
        guard let p = c.string(2) else { return c.typeError(2, expected: "string") }
        guard let initial = c.arg(3).isNil ? 1 : c.int32(3) else { return c.typeError(3, expected: "number") }
        let subject = s.buffer, pattern = p.buffer
        let start = PatternMatcher.startOffset(init: initial, length: subject.count)
        if returnsPositions && (c.arg(4).isTruthy || !PatternMatcher.hasSpecials(pattern)) {
            guard let r = PatternMatcher.plainFind(pattern, in: subject, from: start) else { return c.results(.nil) }
            return c.results(Value(number: Double(r.lowerBound + 1)), Value(number: Double(r.upperBound)))
        }
        var m = PatternMatcher(subject: subject, pattern: pattern)
        m.hints = patternHints.hints(for: p)
        let found: Range<Int>?
        do { found = try m.find(from: start) } catch { return c.error(error.message) }
        patternHints.keep(m.hints, for: p)
        guard let r = found else { return c.results(.nil) }
        if returnsPositions {
            c.push(Value(number: Double(r.lowerBound + 1)))
            c.push(Value(number: Double(r.upperBound)))
            if let failure = pushCaptures(c, m, r, count: m.captureCount) { return failure }
            return Int32(2 + m.captureCount)
        }
        if let failure = pushCaptures(c, m, r, count: m.matchValueCount) { return failure }
        return Int32(m.matchValueCount)
    }

    /// One step of a `gmatch` iterator: its upvalues are subject, pattern and next position.
    func gmatchStep(_ c: BuiltinCall) -> Int32 {
        let f = c.L.pointee.stack[Int(c.L.pointee.base) - 2].function
        let subject = f.upvalueValues[0].string, pattern = f.upvalueValues[1].string
        var state = GmatchState()
        state.position = Int(f.upvalueValues[2].number)
        var m = PatternMatcher(subject: subject.buffer, pattern: pattern.buffer, honorsAnchor: false)
        m.hints = patternHints.hints(for: pattern)
        let found: Range<Int>?
        do { found = try state.next(&m) } catch { return c.error(error.message) }
        patternHints.keep(m.hints, for: pattern)
        f.upvalueValues[2] = Value(number: Double(state.position))
        guard let r = found else { return c.results(.nil) }
        if let failure = pushCaptures(c, m, r, count: m.matchValueCount) { return failure }
        return Int32(m.matchValueCount)
    }

    func gsub(_ c: BuiltinCall) -> Int32 {
        guard let s = c.string(1) else { return c.typeError(1, expected: "string") }
        guard let p = c.string(2) else { return c.typeError(2, expected: "string") }
        let subject = s.buffer
        // luajit reads the count before it checks the replacement.
        guard c.arg(4).isNil || c.number(4) != nil else { return c.typeError(4, expected: "number") }
        let maximum = c.arg(4).isNil ? subject.count + 1 : (c.integer(4) ?? 0)
        let replacement = c.arg(3)
        let replacementString = replacement.isNumber ? c.string(3) : (replacement.isString ? replacement.string : nil)
        if replacementString == nil && !replacement.isTable && !replacement.isFunction {
            return c.argumentError(3, "string/function/table expected")
        }
        var m = PatternMatcher(subject: subject, pattern: p.buffer)
        m.hints = patternHints.hints(for: p)
        defer { patternHints.keep(m.hints, for: p) }
        var out: [UInt8] = []
        out.reserveCapacity(subject.count)
        var state = GsubState(maxReplacements: maximum)
        do {
            while let r = try state.next(&m, into: &out) {
                if let template = replacementString {
                    try m.appendReplacement(template.buffer, wholeMatch: r, into: &out)
                    continue
                }
                // A table is indexed, a function called, with the first capture (or the match).
                let value: Value
                if replacement.isTable {
                    let key: Value
                    switch try m.capture(0, wholeMatch: r) {
                    case .bytes(let range): key = string(UnsafeBufferPointer(rebasing: subject[range]))
                    case .position(let position): key = Value(number: Double(position))
                    }
                    var v = Value.nil
                    guard index(c.L, replacement, key, &v) == .ok else { return builtinError }
                    value = v
                } else {
                    let slot = Int(c.L.pointee.top)
                    c.push(replacement)
                    c.push(.nil)
                    if let failure = pushCaptures(c, m, r, count: m.matchValueCount) { return failure }
                    guard callSlot(c.L, slot, argumentCount: m.matchValueCount, wanted: 1) == .ok else { return builtinError }
                    value = c.L.pointee.stack[slot]
                    c.L.pointee.top = UInt32(slot)
                }
                if !value.isTruthy {
                    out.append(contentsOf: subject[r])
                } else if value.isString || value.isNumber {
                    appendString(value, to: &out)
                } else {
                    return c.error("invalid replacement value (a \(typeName(value)))")
                }
            }
        } catch {
            return c.error(error.message)
        }
        c.push(out.withUnsafeBufferPointer { string($0) })
        c.push(Value(number: Double(state.count)))
        return 2
    }

    /// `string.format` as luajit prints it.
    func format(_ c: BuiltinCall) -> Int32 {
        guard let f = c.string(1) else { return c.typeError(1, expected: "string") }
        return withByteBuilder { out in
            if let failure = formatBytes(c, format: f, formatArgument: 1, into: &out) { return failure }
            return c.results(string(out.bytes))
        }
    }

    /// Renders format `f` (argument `formatArgument`) with the arguments after it into `out`;
    /// nil on success, the failure status otherwise. A missing argument is "value expected",
    /// as luajit 2.1 reports it for every conversion.
    func formatBytes(_ c: BuiltinCall, format f: StringRef, formatArgument: Int, into out: inout ByteBuilder) -> Int32? {
        let format = f.buffer
        var parser = FormatParser(format: format)
        var argument = formatArgument
        do {
            while let item = try parser.next() {
                switch item {
                case .literal(let r):
                    out.append(UnsafeBufferPointer(start: format.baseAddress! + r.lowerBound, count: r.count))
                case .spec(let spec):
                    argument += 1
                    if argument > c.count { return c.argumentError(argument, "value expected") }
                    let v = c.arg(argument)
                    if spec.conversion.takesNumber {
                        if v.isNumber {
                            spec.render(number: v.number, into: &out)
                            continue
                        }
                        // `%d %i %u %o %x %X` print an `int64_t` or `uint64_t` cdata's 64 bits, as LuaJIT does.
                        var unsigned = false
                        if spec.conversion.takesInteger64, CInteger64.isCData(v, &unsigned) == true {
                            spec.renderInteger(v.cdata.payload.load(as: UInt64.self), into: &out)
                            continue
                        }
                        guard let n = c.number(argument) else { return c.typeError(argument, expected: "number") }
                        spec.render(number: n, into: &out)
                        continue
                    }
                    switch spec.conversion {
                    case .quoted:
                        // Any value: what tostring gives (`__tostring` included), quoted.
                        guard let s = toStringValue(c.L, v) else { return builtinError }
                        guard s.isString else { return c.argumentError(argument, "string expected, got \(typeName(v))") }
                        FormatSpec.renderQuoted(s.string.buffer, into: &out)
                    case .pointer:
                        FormatSpec.renderPointer(v.isCollectable || v.isLightUserdata ? UInt(v.payload) : 0, into: &out)
                    default:
                        if v.isString {
                            spec.render(string: v.string.buffer, into: &out)
                        } else if v.isNumber {
                            // A number's text is written as it is, not interned first.
                            withNumberText(v.number) { spec.render(string: $0, into: &out) }
                        } else {
                            guard let s = toStringValue(c.L, v) else { return builtinError }
                            guard s.isString else { return c.argumentError(argument, "string expected, got \(typeName(v))") }
                            spec.render(string: s.string.buffer, into: &out)
                        }
                    }
                }
            }
        } catch {
            return c.error(error.message)
        }
        return nil
    }
}
