/// The array and hash sizes LuaJIT gives a constructor's template table, found by replaying
/// how its parser fills one: created at the first constant entry, grown by `lj_tab_set` with
/// LuaJIT's rehash, and widened at the end to hold every positional item. `#` on a table
/// with holes depends on where its array part ends, so `#{nil, nil, 3}` is 3 only with
/// LuaJIT's sizes.
///
/// Sizes are LuaJIT's: the array part counts slot 0. The one thing not replayed is where
/// keys land in the hash part: a new key is taken to fit while a node is free.
struct TemplateSizing {
    /// Array slots, slot 0 included, and whether each holds a value.
    private(set) var arraySize: Int
    private var arrayLive: [Bool]
    /// Hash nodes (0, or a power of two of at least 2) and the keys in them.
    private var hashNodes: Int
    private var hashKeys: [(key: TemplateValue, live: Bool)] = []

    /// `lj_tab_new(arraySize, hashLog2)`.
    init(arraySize: Int, hashLog2: Int) {
        self.arraySize = arraySize
        arrayLive = Array(repeating: false, count: arraySize)
        hashNodes = hashLog2 > 0 ? 1 << hashLog2 : 0
    }

    var hashLog2: Int { hashNodes == 0 ? 0 : hashNodes.trailingZeroBitCount }

    /// `lj_tab_set` of `key`, then a value that is nil or not (`live`).
    mutating func set(_ key: TemplateValue, live: Bool) {
        if let k = TemplateSizing.arrayIndex(key), k < arraySize {
            arrayLive[k] = live
            return
        }
        if let i = hashKeys.firstIndex(where: { $0.key == key }) {
            hashKeys[i].live = live
            return
        }
        if hashKeys.count >= hashNodes {
            rehash(adding: key)
            set(key, live: live)
            return
        }
        hashKeys.append((key, live))
    }

    /// The parser's last step: room in the array part for every positional item
    /// (`lj_tab_reasize(t, narr - 1)`).
    mutating func finish(positionalEnd narr: Int, needsArray: Bool) {
        if needsArray && arraySize < narr { resize(arraySize: narr, hashLog2: hashLog2) }
    }

    /// An integer key that can live in an array part (`countint`'s test).
    private static func arrayIndex(_ key: TemplateValue) -> Int? {
        guard case .number(let n) = key, n >= 0, n < Double(TemplateSizing.maxArraySize), n == n.rounded(.towardZero) else {
            return nil
        }
        return Int(n)
    }

    /// LuaJIT's LJ_MAX_ASIZE and LJ_MAX_ABITS.
    private static let maxArraySize = (1 << 27) + 1
    private static let maxArrayBits = 28

    /// The bin of an integer key: 0 for keys 0...2, else b for 2^b < key <= 2^(b+1).
    private static func bin(_ k: Int) -> Int { k > 2 ? Int.bitWidth - (k - 1).leadingZeroBitCount - 1 : 0 }

    /// `rehashtab`: counts the live integer keys (and `key`) in power-of-two bins, picks the
    /// array size `bestasize` picks (the largest whose keys fill more than a quarter of it)
    /// and gives the other keys a hash part.
    private mutating func rehash(adding key: TemplateValue) {
        var bins = [Int](repeating: 0, count: TemplateSizing.maxArrayBits)
        var integerKeys = 0
        // countarray: slots 0...2 in bin 0, then (2^b, 2^(b+1)] in bin b.
        var i = 0
        for b in 0..<TemplateSizing.maxArrayBits {
            var top = 2 << b
            if top >= arraySize {
                top = arraySize - 1
                if i > top { break }
            }
            while i <= top {
                if arrayLive[i] { bins[b] += 1; integerKeys += 1 }
                i += 1
            }
        }
        var total = 1 + integerKeys
        for entry in hashKeys where entry.live {
            if let k = TemplateSizing.arrayIndex(entry.key) { bins[TemplateSizing.bin(k)] += 1; integerKeys += 1 }
            total += 1
        }
        if let k = TemplateSizing.arrayIndex(key) { bins[TemplateSizing.bin(k)] += 1; integerKeys += 1 }
        // bestasize
        var size = 0, inArray = 0, sum = 0, b = 0
        while 2 * integerKeys > (1 << b) && sum != integerKeys {
            if bins[b] > 0 {
                sum += bins[b]
                if 2 * sum > (1 << b) {
                    size = (2 << b) + 1
                    inArray = sum
                }
            }
            b += 1
        }
        total -= inArray
        resize(arraySize: size, hashLog2: TemplateSizing.hashLog2(forKeys: total))
    }

    /// `hsize2hbits`.
    static func hashLog2(forKeys n: Int) -> Int {
        if n == 0 { return 0 }
        if n == 1 { return 1 }
        return Int.bitWidth - (n - 1).leadingZeroBitCount
    }

    /// `lj_tab_resize`: live slots past a smaller array part and live hash keys are set again.
    private mutating func resize(arraySize newSize: Int, hashLog2: Int) {
        let oldLive = arrayLive
        let oldKeys = hashKeys
        arrayLive = Array(repeating: false, count: newSize)
        for i in 0..<min(newSize, oldLive.count) { arrayLive[i] = oldLive[i] }
        arraySize = newSize
        hashNodes = hashLog2 > 0 ? 1 << hashLog2 : 0
        hashKeys = []
        if newSize < oldLive.count {
            for i in newSize..<oldLive.count where oldLive[i] { set(.number(Double(i)), live: true) }
        }
        for entry in oldKeys where entry.live { set(entry.key, live: true) }
    }
}
