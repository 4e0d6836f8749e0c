; long_mode.asm: IA-32e mode. Real -> protected -> long mode through
; EFER.LME + CR0.PG (compatibility mode, then a far transfer to 64-bit
; code); 4-level paging with 2 MiB and 4 KiB pages, #PF error codes (write
; to read-only, NX fetch, not present), non-canonical #GP, RIP-relative
; addressing, 64-bit interrupt gates with IST, CMPXCHG16B, SWAPGS, SSE
; arithmetic with #XM/#UD, compatibility-mode code, IRETQ to CPL 3,
; SYSCALL/SYSRET and a DPL 3 gate back to CPL 0 on the RSP0 stack.
%include "harness.inc"

%define PML4 0x20000
%define PDPT 0x21000
%define PD   0x22000
%define PT   0x23000
%define IDT  0x24000
%define TSS  0x25000
%define KSTACK 0x90000
%define RSP0 0x80000
%define IST1 0x78000
%define USTACK 0x60000

; the handlers resume at %1 and record vector and error code
%macro SET_RESUME64 1
    lea rax, [rel %1]
    mov [rel resume_at], rax
    mov qword [rel last_vec], 0xff
    mov qword [rel last_err], 0xdead
%endmacro

bits 16
start:
    cli
    mov ax, cs
    mov ds, ax
    lgdt [gdt_desc]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp dword 0x08:LIN(pm32)

bits 32
pm32:
    mov ax, 0x18
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esp, KSTACK
    ; clear the paging structures, IDT and TSS (0x20000-0x25fff)
    mov edi, PML4
    mov ecx, 0x6000 / 4
    xor eax, eax
    rep stosd
    mov dword [PML4], PDPT | 7
    mov dword [PDPT], PD | 7
    ; PD: 2 MiB identity pages for 0-16 MiB (user, writable), except
    ; entry 2 (4-6 MiB) which points to a 4 KiB page table
    mov ecx, 0
.pd:
    mov eax, ecx
    shl eax, 21
    or eax, 0x87
    mov [PD + ecx * 8], eax
    inc ecx
    cmp ecx, 8
    jb .pd
    mov dword [PD + 2 * 8], PT | 7
    mov dword [PT + 0 * 8], 0x30000 | 7         ; 0x400000: writable
    mov dword [PT + 1 * 8], 0x31000 | 5         ; 0x401000: read-only
    mov dword [PT + 2 * 8], 0x32000 | 7         ; 0x402000: no-execute
    mov dword [PT + 2 * 8 + 4], 0x80000000
    ; PT entry 3 (0x403000) stays not present
    mov byte [0x32000], 0xc3

    mov eax, cr4
    or eax, 0x20 | 0x200 | 0x400               ; PAE, OSFXSR, OSXMMEXCPT
    mov cr4, eax
    mov eax, PML4
    mov cr3, eax
    mov ecx, 0xc0000080
    rdmsr
    or eax, 0x901                              ; LME, NXE, SCE
    wrmsr
    mov eax, cr0
    or eax, 0x80010000                         ; PG, WP
    mov cr0, eax
    ; compatibility mode now (LMA=1, CS.L=0): EFER.LMA must read 1
    mov ecx, 0xc0000080
    rdmsr
    test eax, 0x400
    jnz .lma
    EXIT 1
.lma:
    jmp 0x10:LIN(long64)

bits 64
long64:
    mov ax, 0x18
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov rsp, KSTACK
    ; 64-bit immediates and registers
    mov rax, 0x123456789abcdef0
    mov r15, rax
    shr r15, 32
    CHECK_EQ r15d, 0x12345678, 2
    ; RIP-relative addressing
    lea rax, [rel long64]
    CHECK_EQ rax, LIN(long64), 3
    mov dword [rel scratch], 0x5a5a
    CHECK_EQ dword [LIN(scratch)], 0x5a5a, 4

    ; IDT: 64-bit interrupt gates
    mov rdi, IDT + 6 * 16
    lea rax, [rel stub_ud]
    mov ecx, 0x8e00
    call set_gate
    mov rdi, IDT + 13 * 16
    lea rax, [rel stub_gp]
    call set_gate
    mov rdi, IDT + 14 * 16
    lea rax, [rel stub_pf]
    call set_gate
    mov rdi, IDT + 19 * 16
    lea rax, [rel stub_xm]
    call set_gate
    mov rdi, IDT + 0x40 * 16
    lea rax, [rel stub_ist]
    mov ecx, 0x8e01                            ; IST 1
    call set_gate
    mov rdi, IDT + 0x41 * 16
    lea rax, [rel user_gate]
    mov ecx, 0xee00                            ; DPL 3
    call set_gate
    lidt [rel idt_desc]
    ; 64-bit TSS: RSP0 and IST1
    mov qword [TSS + 4], RSP0
    mov qword [TSS + 0x24], IST1
    mov word [TSS + 0x66], 0x68
    mov ax, 0x38
    ltr ax

    ; paging: 4 KiB page through the page table
    mov dword [0x400000], 0xcafe
    CHECK_EQ dword [0x30000], 0xcafe, 5
    ; write to a read-only page with CR0.WP: #PF(P|W)
    SET_RESUME64 r1
    mov dword [0x401000], 1
r1: CHECK_EQ qword [rel last_vec], 14, 6
    CHECK_EQ qword [rel last_err], 3, 7
    mov rax, cr2
    CHECK_EQ rax, 0x401000, 8
    ; fetch from a no-execute page: #PF(P|I/D)
    SET_RESUME64 r2
    mov rax, 0x402000
    jmp rax
r2: CHECK_EQ qword [rel last_vec], 14, 9
    CHECK_EQ qword [rel last_err], 0x11, 10
    CHECK_EQ qword [rel fault_rip], 0x402000, 11
    ; not-present page: #PF(0)
    SET_RESUME64 r3
    mov eax, [0x403000]
r3: CHECK_EQ qword [rel last_vec], 14, 12
    CHECK_EQ qword [rel last_err], 0, 13
    ; non-canonical address: #GP(0)
    SET_RESUME64 r4
    mov rax, 0x0000800000000000
    mov rbx, [rax]
r4: CHECK_EQ qword [rel last_vec], 13, 14
    CHECK_EQ qword [rel last_err], 0, 15

    ; IST: int 0x40 runs on the IST1 stack (5 qwords pushed)
    SET_RESUME64 r5
    int 0x40
r5: CHECK_EQ qword [rel last_vec], 0x40, 16
    CHECK_EQ qword [rel ist_rsp], IST1 - 40, 17
    CHECK_EQ rsp, KSTACK, 18

    ; CMPXCHG16B
    mov qword [rel m128], 1
    mov qword [rel m128 + 8], 2
    mov rax, 1
    mov rdx, 2
    mov rbx, 3
    mov rcx, 4
    lock cmpxchg16b [rel m128]
    jz .cx_ok
    EXIT 19
.cx_ok:
    CHECK_EQ qword [rel m128 + 8], 4, 20
    mov rax, 9
    cmpxchg16b [rel m128]
    jnz .cx_ok2
    EXIT 21
.cx_ok2:
    CHECK_EQ rax, 3, 22

    ; SWAPGS exchanges GS base and KERNEL_GS_BASE
    mov ecx, 0xc0000101
    mov eax, 0x1000
    xor edx, edx
    wrmsr
    mov ecx, 0xc0000102
    mov eax, 0x2000
    wrmsr
    swapgs
    mov ecx, 0xc0000101
    rdmsr
    CHECK_EQ eax, 0x2000, 23
    mov dword [0x2010], 0x77
    CHECK_EQ dword [gs:0x10], 0x77, 24

    ; SSE: 1.5 + 2.25 = 3.75, truncation to an integer
    mov rax, 0x3ff8000000000000
    movq xmm0, rax
    mov rax, 0x4002000000000000
    movq xmm1, rax
    addsd xmm0, xmm1
    movq rax, xmm0
    mov rbx, 0x400e000000000000
    CHECK_EQ rax, rbx, 25
    cvttsd2si ecx, xmm0
    CHECK_EQ ecx, 3, 26
    ; unmasked divide by zero: #XM, destination unchanged, ZE set
    mov dword [rel mxcsr], 0x1f80 & ~0x200
    ldmxcsr [rel mxcsr]
    xorpd xmm2, xmm2
    SET_RESUME64 r6
    divsd xmm0, xmm2
r6: CHECK_EQ qword [rel last_vec], 19, 27
    movq rax, xmm0
    CHECK_EQ rax, rbx, 28
    stmxcsr [rel mxcsr]
    CHECK_EQ dword [rel mxcsr], (0x1f80 & ~0x200) | 4, 29
    ; without CR4.OSXMMEXCPT the same fault is #UD
    mov rax, cr4
    and eax, ~0x400
    mov cr4, rax
    SET_RESUME64 r7
    divsd xmm0, xmm2
r7: CHECK_EQ qword [rel last_vec], 6, 30
    mov dword [rel mxcsr], 0x1f80
    ldmxcsr [rel mxcsr]

    ; compatibility mode: 32-bit code under LMA, and back
    jmp far dword [rel compat_ptr]
bits 32
compat32:
    mov ebx, esp
    push eax
    sub ebx, esp
    jmp 0x10:LIN(back64)
bits 64
back64:
    add rsp, 4
    CHECK_EQ ebx, 4, 31

    ; CPL 3 through IRETQ, SYSCALL/SYSRET, then a DPL 3 gate to CPL 0
    mov rax, LIN(sys_entry)
    mov rdx, rax
    shr rdx, 32
    mov ecx, 0xc0000082                        ; LSTAR
    wrmsr
    mov ecx, 0xc0000081                        ; STAR
    xor eax, eax
    mov edx, 0x00230010
    wrmsr
    mov ecx, 0xc0000084                        ; SFMASK: clear TF, IF, DF
    mov eax, 0x700
    xor edx, edx
    wrmsr
    push 0x2b
    push USTACK
    push 0x2
    push 0x33
    push LIN(user64)
    iretq

user64:
    mov ax, cs
    and eax, 3
    cmp eax, 3
    je .cpl3
    mov byte [rel user_fail], 32
.cpl3:
    syscall
after_syscall:
    ; back at CPL 3 after SYSRET
    mov ax, cs
    cmp ax, 0x33
    je .back
    mov byte [rel user_fail], 33
.back:
    int 0x41

sys_entry:
    ; CPL 0 with CS = STAR[47:32]
    mov ax, cs
    cmp ax, 0x10
    je .cs
    mov byte [rel user_fail], 34
.cs:
    cmp rcx, LIN(after_syscall)
    je .rcx
    mov byte [rel user_fail], 35
.rcx:
    mov rax, r11
    and eax, ~0x8d5                            ; arithmetic flags vary
    cmp eax, 0x2
    je .r11
    mov byte [rel user_fail], 36
.r11:
    o64 sysret

user_gate:
    ; from CPL 3: RSP0 stack, SS = null selector, frame SS = 0x2b
    mov ax, ss
    CHECK_EQ ax, 0, 37
    CHECK_EQ qword [rsp + 32], 0x2b, 38
    CHECK_EQ qword [rsp + 8], 0x33, 39
    CHECK_EQ rsp, RSP0 - 40, 40
    CHECK_EQ byte [rel user_fail], 0, 41
    mov ax, 0x18
    mov ss, ax
    mov rsp, KSTACK
    EXIT 0

; rdi = gate address, rax = handler, cx = IST and type/attribute bytes
set_gate:
    mov [rdi], ax
    mov word [rdi + 2], 0x10
    mov [rdi + 4], cx
    shr rax, 16
    mov [rdi + 6], ax
    shr rax, 16
    mov [rdi + 8], eax
    mov dword [rdi + 12], 0
    ret

stub_ud:
    push 0
    push 6
    jmp handler_common
stub_gp:
    push 13
    jmp handler_common
stub_pf:
    push 14
    jmp handler_common
stub_xm:
    push 0
    push 19
    jmp handler_common
stub_ist:
    mov [rel ist_rsp], rsp
    push 0
    push 0x40
    jmp handler_common

; [rsp] vector, error code, RIP, CS, RFLAGS, RSP, SS
handler_common:
    push rax
    mov rax, [rsp + 8]
    mov [rel last_vec], rax
    mov rax, [rsp + 16]
    mov [rel last_err], rax
    mov rax, [rsp + 24]
    mov [rel fault_rip], rax
    mov rax, [rel resume_at]
    mov [rsp + 24], rax
    pop rax
    add rsp, 16
    iretq

align 8
scratch: dq 0
last_vec: dq 0
last_err: dq 0
fault_rip: dq 0
resume_at: dq 0
ist_rsp: dq 0
mxcsr: dd 0
user_fail: db 0
align 16
m128: dq 0, 0
compat_ptr: dd LIN(compat32)
    dw 0x08
idt_desc:
    dw 256 * 16 - 1
    dq IDT

bits 16
align 8
gdt:
    dq 0
    DESC 0, 0xfffff, 0x9a, 0xc                 ; 0x08 code32
    DESC 0, 0xfffff, 0x9a, 0xa                 ; 0x10 code64
    DESC 0, 0xfffff, 0x92, 0xc                 ; 0x18 data
    DESC 0, 0xfffff, 0xfa, 0xc                 ; 0x20 user code32
    DESC 0, 0xfffff, 0xf2, 0xc                 ; 0x28 user data
    DESC 0, 0xfffff, 0xfa, 0xa                 ; 0x30 user code64
    DESC TSS, 0x67, 0x89, 0x0                  ; 0x38 64-bit TSS (low half)
    dq 0                                       ;      high half
gdt_end:
gdt_desc:
    dw gdt_end - gdt - 1
    dd LIN(gdt)
