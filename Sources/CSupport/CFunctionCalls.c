// C function calls through registers from compiled code (see CFunctionCalls.h).
#include "CSupport.h"
#include "CFunctionCalls.h"
#include <errno.h>
#include <string.h>

/// `d` as int64 when it is an integer in [low, high); else clears `*ok`.
static inline int64_t exact_integer(double d, double low, double high, int *ok) {
    if (!(d >= low && d < high)) { *ok = 0; return 0; }
    int64_t v = (int64_t)d;
    if ((double)v != d) *ok = 0;
    return v;
}

/// `v` truncated to `size` bytes and extended to 64 bits as C extends that type.
static inline int64_t extend(int64_t v, uint8_t size, uint8_t is_unsigned) {
    switch (size) {
    case 1: return is_unsigned ? (int64_t)(uint8_t)v : (int64_t)(int8_t)v;
    case 2: return is_unsigned ? (int64_t)(uint16_t)v : (int64_t)(int16_t)v;
    case 4: return is_unsigned ? (int64_t)(uint32_t)v : (int64_t)(int32_t)v;
    default: return v;
    }
}

static inline uint64_t number_bits(double d) {
    uint64_t b;
    memcpy(&b, &d, 8);
    return (b >> PERIGEE_TAG_SHIFT) > PERIGEE_NUMBER_LIMIT ? PERIGEE_CANONICAL_NAN : b;
}

int64_t perigee_c_call(uint64_t *slots, int64_t nargs, int64_t wanted, const uint64_t *site) {
    uint64_t callee = slots[0];
    const char *cd = (const char *)(uintptr_t)(callee & PERIGEE_PAYLOAD_MASK);
    uint32_t ctype = *(const uint32_t *)(cd + PERIGEE_CDATA_CTYPE);
    if ((uint32_t)site[0] != ctype + 1) return -1;
    const perigee_c_call_plan *plan = (const perigee_c_call_plan *)(uintptr_t)site[1];
    if (!plan || plan->count != nargs || plan->errno_cell[1] != 0) return 0;
    const void *address = *(void *const *)(cd + PERIGEE_CDATA_PAYLOAD);
    if (!address) return 0;
    if (plan->doubles) {
        // `double f(double, ...)`: numbers straight into a call of that type.
        double x[PERIGEE_C_DOUBLE_PARAMETERS] = { 0, 0, 0 };
        for (int64_t n = 0; n < nargs; n++) {
            uint64_t v = slots[2 + n];
            if ((v >> PERIGEE_TAG_SHIFT) > PERIGEE_NUMBER_LIMIT) return 0;
            memcpy(&x[n], &v, 8);
        }
        errno = plan->errno_cell[0];
        double r;
        switch (nargs) {
        case 0: r = ((double (*)(void))address)(); break;
        case 1: r = ((double (*)(double))address)(x[0]); break;
        case 2: r = ((double (*)(double, double))address)(x[0], x[1]); break;
        default: r = ((double (*)(double, double, double))address)(x[0], x[1], x[2]); break;
        }
        plan->errno_cell[0] = errno;
        if (wanted < 0) wanted = 1;
        for (int64_t n = 0; n < wanted; n++) slots[n] = n == 0 ? number_bits(r) : PERIGEE_NIL_BITS;
        return 1 + wanted;
    }
    perigee_register_args args;
    memset(&args, 0, sizeof args);
    for (int64_t n = 0; n < nargs; n++) {
        uint64_t v = slots[2 + n];
        uint8_t r = plan->reg[n];
        int isNumber = (v >> PERIGEE_TAG_SHIFT) <= PERIGEE_NUMBER_LIMIT;
        double d;
        memcpy(&d, &v, 8);
        switch (plan->kind[n]) {
        case PERIGEE_C_ARGUMENT_DOUBLE:
            if (!isNumber) return 0;
            args.d[r] = d;
            break;
        case PERIGEE_C_ARGUMENT_FLOAT: {
            if (!isNumber) return 0;
            float f = (float)d;
            uint64_t bits = 0;
            memcpy(&bits, &f, 4);
            memcpy(&args.d[r], &bits, 8);
            break;
        }
        case PERIGEE_C_ARGUMENT_INTEGER: {
            // Exact integers only, within the range every integer type converts alike in
            // (others convert with the general path's rules).
            if (!isNumber) return 0;
            int ok = 1;
            int64_t i = plan->size[n] == 8
                ? exact_integer(d, plan->is_unsigned[n] ? 0.0 : -9007199254740992.0, 9007199254740992.0, &ok)
                : exact_integer(d, -2147483648.0, 2147483648.0, &ok);
            if (!ok) return 0;
            args.i[r] = extend(i, plan->size[n], plan->is_unsigned[n]);
            break;
        }
        case PERIGEE_C_ARGUMENT_TEXT:
            if ((v >> PERIGEE_TAG_SHIFT) == PERIGEE_STRING_ITYPE) {
                args.i[r] = (int64_t)(uintptr_t)((const char *)(uintptr_t)(v & PERIGEE_PAYLOAD_MASK) + PERIGEE_STRING_BYTES);
                break;
            }
            // fall through: nil is NULL
        case PERIGEE_C_ARGUMENT_POINTER:
            if (v != PERIGEE_NIL_BITS) return 0;
            args.i[r] = 0;
            break;
        default:
            return 0;
        }
    }
    uint64_t result = PERIGEE_NIL_BITS;
    errno = plan->errno_cell[0];
    switch (plan->result) {
    case PERIGEE_C_RESULT_DOUBLE:
        result = number_bits(perigee_register_call_double(address, &args));
        break;
    case PERIGEE_C_RESULT_FLOAT:
        result = number_bits((double)perigee_register_call_float(address, &args));
        break;
    case PERIGEE_C_RESULT_INTEGER:
        result = number_bits((double)extend(perigee_register_call_integer(address, &args), plan->result_size, plan->result_unsigned));
        break;
    case PERIGEE_C_RESULT_BOOL:
        result = (uint8_t)perigee_register_call_integer(address, &args) ? PERIGEE_TRUE_BITS : PERIGEE_FALSE_BITS;
        break;
    default:
        (void)perigee_register_call_integer(address, &args);
        break;
    }
    plan->errno_cell[0] = errno;
    int64_t count = plan->result != PERIGEE_C_RESULT_VOID;
    if (wanted < 0) wanted = count;
    for (int64_t n = 0; n < wanted; n++) slots[n] = n < count ? result : PERIGEE_NIL_BITS;
    return 1 + wanted;
}
