/// `table.sort`: Lua 5.1's quicksort (median of three, smaller half first), with its
/// "invalid order function for sorting" check for comparators that are not consistent.

extension LuaVM {
    func openTableSort(_ T: TableRef) {
        register("sort", in: T) { raw in
            let c = BuiltinCall(raw, "sort")
            guard let t = c.checkTable(1) else { return c.typeError(1, expected: "table") }
            let comparator = c.arg(2)
            if !comparator.isNil && !comparator.isFunction { return c.typeError(2, expected: "function") }
            let n = t.length()
            if n < 2 { return 0 }
            // Work on a copy; the table keeps every element alive while comparators run.
            var items = (1...n).map { t.get(integer: $0) }
            var sorter = Sorter(vm: c.vm, L: c.L, comparator: comparator)
            guard sorter.sort(&items, 0, n - 1) else {
                if let message = sorter.message { return c.error(message) }
                return builtinError
            }
            for (i, v) in items.enumerated() { _ = t.set(integer: i + 1, v, c.vm.g) }
            return 0
        }
    }
}

private struct Sorter {
    let vm: LuaVM
    let L: ThreadRef
    let comparator: Value
    /// Set for errors raised by the sort itself (as opposed to ones from comparisons).
    var message: String? = nil

    init(vm: LuaVM, L: ThreadRef, comparator: Value) {
        self.vm = vm
        self.L = L
        self.comparator = comparator
    }

    /// `a < b` by the comparator or by Lua's `<`; nil after an error.
    mutating func less(_ a: Value, _ b: Value) -> Bool? {
        if comparator.isNil {
            if a.isNumber && b.isNumber { return a.number < b.number }
            var result = false
            return vm.compareFallback(L, a, b, lessEqual: false, &result) == .ok ? result : nil
        }
        var r = Value.nil
        return vm.callMetamethod(L, comparator, a, b, &r) == .ok ? r.isTruthy : nil
    }

    mutating func invalidOrder() -> Bool {
        message = "invalid order function for sorting"
        return false
    }

    /// Sorts `a[lo...up]`; false on error.
    mutating func sort(_ a: inout [Value], _ lo: Int, _ up: Int) -> Bool {
        var lo = lo, up = up
        while lo < up {
            guard let swapEnds = less(a[up], a[lo]) else { return false }
            if swapEnds { a.swapAt(lo, up) }
            if up - lo == 1 { break }
            var i = (lo + up) / 2
            guard let lowMiddle = less(a[i], a[lo]) else { return false }
            if lowMiddle {
                a.swapAt(i, lo)
            } else {
                guard let highMiddle = less(a[up], a[i]) else { return false }
                if highMiddle { a.swapAt(i, up) }
            }
            if up - lo == 2 { break }
            let pivot = a[i]
            a.swapAt(i, up - 1)
            i = lo
            var j = up - 1
            while true {
                i += 1
                while true {
                    guard let r = less(a[i], pivot) else { return false }
                    if !r { break }
                    if i >= up { return invalidOrder() }
                    i += 1
                }
                j -= 1
                while true {
                    guard let r = less(pivot, a[j]) else { return false }
                    if !r { break }
                    if j <= lo { return invalidOrder() }
                    j -= 1
                }
                if j < i { break }
                a.swapAt(i, j)
            }
            a.swapAt(up - 1, i)
            // Recurse into the smaller half, loop on the larger.
            if i - lo < up - i {
                if !sort(&a, lo, i - 1) { return false }
                lo = i + 1
            } else {
                if !sort(&a, i + 1, up) { return false }
                up = i - 1
            }
        }
        return true
    }
}

extension LuaVM {
    /// `table.foreach`, `table.foreachi` and `table.move`.
    func openTableExtras(_ T: TableRef) {
        register("foreach", in: T) { raw in
            let c = BuiltinCall(raw, "foreach")
            guard let t = c.checkTable(1) else { return c.typeErrorMissingAsNil(1, expected: "table") }
            guard c.arg(2).isFunction else { return c.typeErrorMissingAsNil(2, expected: "function") }
            var key = Value.nil, value = Value.nil
            while true {
                switch t.next(&key, &value) {
                case .found:
                    var r = Value.nil
                    guard c.vm.callFunction(c.L, c.arg(2), [key, value], &r) == .ok else { return builtinError }
                    if !r.isNil { return c.results(r) }
                case .end: return 0
                case .invalidKey: return c.error("invalid key to 'next'")
                }
            }
        }
        register("foreachi", in: T) { raw in
            let c = BuiltinCall(raw, "foreachi")
            guard let t = c.checkTable(1) else { return c.typeErrorMissingAsNil(1, expected: "table") }
            guard c.arg(2).isFunction else { return c.typeErrorMissingAsNil(2, expected: "function") }
            let n = t.length()
            var i = 1
            while i <= n {
                var r = Value.nil
                guard c.vm.callFunction(c.L, c.arg(2), [Value(number: Double(i)), t.get(integer: i)], &r) == .ok else {
                    return builtinError
                }
                if !r.isNil { return c.results(r) }
                i += 1
            }
            return 0
        }
        register("move", in: T) { raw in
            let c = BuiltinCall(raw, "move")
            // LuaJIT writes table.move in Lua, so a missing argument is reported as nil.
            func wrong(_ i: Int, _ expected: String) -> Int32 {
                c.argumentError(i, "\(expected) expected, got \(c.vm.typeName(c.arg(i)))")
            }
            guard let a1 = c.checkTable(1) else { return wrong(1, "table") }
            guard let f = c.integer(2) else { return wrong(2, "number") }
            guard let e = c.integer(3) else { return wrong(3, "number") }
            guard let t = c.integer(4) else { return wrong(4, "number") }
            let destination = c.arg(5).isNil ? a1 : c.checkTable(5)
            guard let a2 = destination else { return c.typeError(5, expected: "table") }
            if e >= f {
                let g = c.vm.g
                if t > e || t <= f || a1 != a2 {
                    for i in 0...(e - f) { if a2.set(integer: t + i, a1.get(integer: f + i), g) == .outOfMemory { return builtinError } }
                } else {
                    for i in stride(from: e - f, through: 0, by: -1) {
                        if a2.set(integer: t + i, a1.get(integer: f + i), g) == .outOfMemory { return builtinError }
                    }
                }
            }
            return c.results(Value(table: a2))
        }
    }

    /// LuaJIT's `table.new` and `table.clear`, which programs get with `require("table.new")`
    /// and `require("table.clear")`: loaders in `package.preload` that make the function, store
    /// it in the `table` library (as luajit's do) and return it.
    func registerTableExtensions(in preload: TableRef) {
        let loaders: [(String, BuiltinEntry)] = [
            ("table.new", { raw in
                let c = BuiltinCall(raw, "?")
                return c.vm.installTableExtension("new") { raw in
                    let c = BuiltinCall(raw, "new")
                    guard let narray = c.integer(1) else { return c.typeError(1, expected: "number") }
                    guard let nhash = c.integer(2) else { return c.typeError(2, expected: "number") }
                    // luajit's limits (LJ_MAX_ASIZE, LJ_MAX_HBITS); allocation stops at 2^26 slots.
                    guard (0...(1 << 27)).contains(narray), (0...(1 << 26)).contains(nhash) else { return c.error("table overflow") }
                    guard let t = c.vm.g.newTable(arraySize: min(narray, 1 << 26), hashSize: min(nhash, 1 << 26)) else {
                        c.vm.errorValue = c.vm.memoryErrorValue
                        return builtinError
                    }
                    return c.results(Value(table: t))
                }.map { c.results($0) } ?? builtinError
            }),
            ("table.clear", { raw in
                let c = BuiltinCall(raw, "?")
                return c.vm.installTableExtension("clear") { raw in
                    let c = BuiltinCall(raw, "clear")
                    guard let t = c.checkTable(1) else { return c.typeError(1, expected: "table") }
                    t.clear(c.vm.g)
                    return 0
                }.map { c.results($0) } ?? builtinError
            }),
        ]
        for (name, entry) in loaders {
            guard let loader = g.newBuiltin(entry, env: globals) else { return }
            _ = preload.set(string: g.intern(name)!, Value(function: loader), g)
        }
    }

    /// Makes the builtin `table.<name>` and stores it in the `table` library; nil when out of memory.
    private func installTableExtension(_ name: String, _ entry: BuiltinEntry) -> Value? {
        guard let f = g.newBuiltin(entry, env: globals) else {
            errorValue = memoryErrorValue
            return nil
        }
        builtinNames[f] = name
        let table = registryValue("_LOADED").table.get(name: "table", g)
        if table.isTable { _ = table.table.set(string: g.intern(name)!, Value(function: f), g) }
        return Value(function: f)
    }
}
