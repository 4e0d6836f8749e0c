; v86.asm: virtual-8086 mode entered by IRETD with EFLAGS.VM; real-mode
; style segment loads and memory writes; OUT allowed and denied by the TSS
; I/O permission bitmap; INT n and HLT with IOPL < 3 raise #GP(0) to the
; ring-0 monitor, whose stack frame carries the V86 segment registers and
; whose data segment registers arrive null.
%include "harness.inc"
bits 16
org 0
    ENTER_PM32 main

bits 32
h_gp:
    mov bx, ds
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    inc dword [LIN(gp_count)]
    CHECK_EQ bx, 0, 20                       ; DS nulled on entry from V86
    CHECK_EQ dword [esp], 0, 21              ; error code 0
    CHECK_EQ dword [esp + 8], 0x1000, 22     ; V86 CS
    mov eax, [esp + 12]
    and eax, 0x20000
    CHECK_EQ eax, 0x20000, 23                ; VM in saved EFLAGS
    CHECK_EQ dword [esp + 28], 0x2000, 24    ; V86 DS
    mov eax, [esp + 4]
    cmp dword [LIN(gp_count)], 1
    jne .second
    CHECK_EQ eax, gp1 - $$, 25
    jmp .resume
.second:
    cmp dword [LIN(gp_count)], 2
    jne .third
    CHECK_EQ eax, gp2 - $$, 26
    jmp .resume
.third:
    CHECK_EQ eax, gp3 - $$, 27
    CHECK_EQ word [0x20000], 0x8686, 28
    CHECK_EQ byte [LIN(out_ok)], 1, 29
    EXIT 0
.resume:
    add dword [esp + 4], 2                   ; skip OUT imm8 / INT imm8
    add esp, 4                               ; error code
    iretd

main:
    lidt [LIN(idt_desc)]
    mov ax, 0x18
    ltr ax
    push dword 0                  ; gs
    push dword 0                  ; fs
    push dword 0x2000             ; ds
    push dword 0x2000             ; es
    push dword 0x3000             ; ss
    push dword 0xfffe             ; esp
    push dword 0x20002            ; eflags: VM, IOPL 0
    push dword 0x1000             ; cs
    push dword v86_entry - $$     ; eip
    iretd

bits 16
v86_entry:
    mov word [0], 0x8686          ; DS = 0x2000 -> linear 0x20000
    mov ax, ds
    cmp ax, 0x2000
    jne v86_bad
    mov al, 'v'
    out 0xe9, al                  ; allowed by the bitmap
    mov byte [cs:out_ok], 1       ; (CS-relative: V86 CS base 0x10000)
gp1:
    out 0x80, al                  ; denied: #GP(0)
gp2:
    int 0x30                      ; IOPL 0: #GP(0)
gp3:
    hlt                           ; CPL 3: #GP(0)
v86_bad:
    jmp v86_bad
bits 32

align 8
gdt:
    dq 0
    DESC 0, 0xfffff, 0x9a, 0xc               ; 0x08 code
    DESC 0, 0xfffff, 0x92, 0xc               ; 0x10 data
    DESC LIN(tss), tss_end - tss - 1, 0x89, 0 ; 0x18 TSS
gdt_end:
gdt_desc:
    dw gdt_end - gdt - 1
    dd LIN(gdt)
align 8
idt:
    times 13 dq 0
    IGATE 0x08, LIN(h_gp)
    times 0x30 - 14 dq 0
    dw 0, 0x08, 0xee00, 0                   ; 0x30 DPL 3 gate (unused: IOPL 0)
idt_end:
idt_desc:
    dw idt_end - idt - 1
    dd LIN(idt)
align 16
tss:
    dd 0, 0x90000, 0x10
    times 22 dd 0
    dw 0, iomap - tss
iomap:
    times 29 db 0xff              ; ports 0x00-0xe7 denied
    db 0xfd                       ; 0xe8-0xef: 0xe9 allowed
    db 0xff                       ; 0xf0-0xf7 (0xf4 denied: monitor exits)
    db 0xff                       ; 0xf8-0xff
    db 0xff
tss_end:
align 4
gp_count: dd 0
out_ok: db 0
