// CPU hints Swift has no spelling for (one instruction each, nothing to link).
// Prefetch: asks for a cache line ahead of use; never faults.
static inline void rlhf_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

// Spin-wait hint for a loop polling memory another core will write (Parallel's worker pool): lets the
// core slow the loop down and avoids the memory-order flush when the write arrives.
static inline void rlhf_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}
