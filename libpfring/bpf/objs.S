/* The eBPF objects, compiled by clang -target bpf, embedded in libpfring. */
	.section .rodata
	.balign 8
	.global pfring_bpf_filter_obj
	.hidden pfring_bpf_filter_obj
pfring_bpf_filter_obj:
	.incbin "filter.bpf.o"
	.global pfring_bpf_filter_obj_end
	.hidden pfring_bpf_filter_obj_end
pfring_bpf_filter_obj_end:
	.section .note.GNU-stack,"",@progbits
