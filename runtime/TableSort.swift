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
