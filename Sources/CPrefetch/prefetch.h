// Swift has no prefetch instruction; this exposes the compiler's (one instruction, never faults).
static inline void rlhf_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }
