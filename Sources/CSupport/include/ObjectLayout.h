// The byte offsets of runtime objects and of the interpreter's run state that the
// interpreter's fast stubs (Sources/CSupport/DispatchFastPaths.h) read from C. The Swift
// structs are the definition (runtime/Objects, runtime/Interpreter/InterpreterRun.swift);
// InterpreterLayoutTests checks every number here against their layout.
#ifndef PERIGEE_OBJECT_LAYOUT_H
#define PERIGEE_OBJECT_LAYOUT_H

#include <stdint.h>

// InterpreterRun: the running function's constants (numbers at non-negative indices,
// objects below) and its closure.
#define PERIGEE_RUN_K_OFFSET 0x28
#define PERIGEE_RUN_CLOSURE_OFFSET 0x30
// The run's thread, published frame (base, pc), multres, arguments of the function being
// entered, and the base of the frame whose return ends the run (negative: none).
#define PERIGEE_RUN_THREAD_OFFSET 0x08
#define PERIGEE_RUN_GLOBAL_OFFSET 0x10
#define PERIGEE_RUN_BASE_OFFSET 0x18
#define PERIGEE_RUN_PC_OFFSET 0x20
#define PERIGEE_RUN_MULTRES_OFFSET 0x38
#define PERIGEE_RUN_NARGS_OFFSET 0x40
#define PERIGEE_RUN_EXIT_BASE_OFFSET 0x60
// The VM's hot counters (int16_t), with the flags below at index -1.
#define PERIGEE_RUN_HOT_COUNTERS_OFFSET 0x78
#define PERIGEE_HOT_COUNTER_SLOTS 64
#define PERIGEE_HOT_COUNTING_LOOPS 1
#define PERIGEE_HOT_COUNTING_FUNCTIONS 2

// Values (runtime/Values/Value.swift): the top 17 bits of a tagged value, 0x1FFFF ^ tag.
#define PERIGEE_TAG_SHIFT 47
#define PERIGEE_PAYLOAD_MASK 0x7FFFFFFFFFFFULL
#define PERIGEE_TABLE_ITYPE 0x1FFF4ULL
#define PERIGEE_STRING_ITYPE 0x1FFFBULL
#define PERIGEE_FUNCTION_ITYPE 0x1FFF7ULL
#define PERIGEE_CDATA_ITYPE 0x1FFF5ULL
#define PERIGEE_NIL_BITS 0xFFFFFFFFFFFFFFFFULL
#define PERIGEE_FALSE_BITS 0xFFFF7FFFFFFFFFFFULL
#define PERIGEE_TRUE_BITS 0xFFFEFFFFFFFFFFFFULL
// Values with top 17 bits below this one are true in a condition (all but nil and false).
#define PERIGEE_FIRST_FALSY_ITYPE 0x1FFFEULL
// Collectable values (string to userdata) have top 17 bits in this range.
#define PERIGEE_FIRST_COLLECTABLE_ITYPE 0x1FFF3ULL
#define PERIGEE_LAST_COLLECTABLE_ITYPE 0x1FFFBULL

// GCTable, TableNode, GCString.
#define PERIGEE_TABLE_MARKED 8
#define PERIGEE_TABLE_ABSENT_METAMETHODS 10
#define PERIGEE_TABLE_ARRAY_LIMIT 12
#define PERIGEE_TABLE_ARRAY 24
#define PERIGEE_TABLE_NODE 32
#define PERIGEE_TABLE_HASH_MASK 40
#define PERIGEE_TABLE_BORDER 44
#define PERIGEE_TABLE_METATABLE 56
#define PERIGEE_NODE_VALUE 0
#define PERIGEE_NODE_KEY 8
#define PERIGEE_NODE_NEXT 16
#define PERIGEE_NODE_SIZE 24
#define PERIGEE_STRING_HASH 12
// GCTable.absentMetamethods: `__index` known absent (Metamethod.index.bit).
#define PERIGEE_INDEX_ABSENT_BIT 0x01
// GlobalState: the interned metamethod names (StringRef per Metamethod; `__index` first).
#define PERIGEE_GLOBAL_METAMETHOD_NAMES 200
// The collector's black bit (GCMark.black).
#define PERIGEE_GC_BLACK 0x04

// GCFunction's fast-function id (0 for Lua closures), environment, prototype and upvalue
// objects, and GCUpvalue's pointer to its value.
#define PERIGEE_FUNCTION_FFID 10
#define PERIGEE_FUNCTION_ENV 24
#define PERIGEE_FUNCTION_TARGET 32
#define PERIGEE_FUNCTION_UPVALUES 40
#define PERIGEE_UPVALUE_VALUE 16

// GCProto: parameters, flags (ProtoFlag), registers, bytecode, number constants.
#define PERIGEE_PROTO_PARAMETER_COUNT 10
#define PERIGEE_PROTO_FLAGS 11
#define PERIGEE_PROTO_FRAME_SIZE 12
#define PERIGEE_PROTO_BYTECODE 24
#define PERIGEE_PROTO_NUMBERS 80
#define PERIGEE_PROTO_VARARG 0x02
#define PERIGEE_PROTO_COMPILED 0x20

// GCThread: the stack, its size, and the published frame (slot indices), open upvalues.
#define PERIGEE_THREAD_STACK 24
#define PERIGEE_THREAD_STACK_SIZE 32
#define PERIGEE_THREAD_BASE 36
#define PERIGEE_THREAD_TOP 40
#define PERIGEE_THREAD_OPEN_UPVALUES 48

// GCCData (runtime/FFI/CData.swift): its C type id (32 bits) and its payload; GCString's bytes.
#define PERIGEE_CDATA_CTYPE 12
#define PERIGEE_CDATA_PAYLOAD 24
#define PERIGEE_STRING_BYTES 24
// Numbers: top 17 bits at most this; a NaN from outside with more becomes the canonical one.
#define PERIGEE_NUMBER_LIMIT 0x1FFF2ULL
#define PERIGEE_CANONICAL_NAN 0xFFF8000000000000ULL

// Frames (runtime/Interpreter/Frames.swift): the link below a frame's registers is a return
// PC when these bits are 0; every frame keeps this many slots free above its registers.
#define PERIGEE_RETURN_PC_MASK 3
#define PERIGEE_ENTRY_SLACK 4

#endif
