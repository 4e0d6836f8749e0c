; exceptions.asm: protected-mode exceptions with their error codes and
; return addresses: #DE, #UD, #GP (limit, null selector, privileged
; instruction), #NP with selector error code, #BR (BOUND), INT3/INTO traps,
; software INT through a DPL-0 gate from ring 0, IDT limit -> #GP(vec*8+2).
%include "harness.inc"
bits 16
org 0
    ENTER_PM32 main

; handlers: h_N pushes N and a flag telling whether the CPU pushed an error code
%macro HANDLER 2
h_%1:
    %if %2 == 0
    push dword 0
    %endif
    push dword %1
    jmp h_common
%endmacro
HANDLER 0, 0
HANDLER 3, 0
HANDLER 4, 0
HANDLER 5, 0
HANDLER 6, 0
HANDLER 11, 1
HANDLER 13, 1
HANDLER 0x40, 0

h_common:
    pop dword [LIN(last_vec)]
    pop dword [LIN(last_err)]
    mov eax, [esp]
    mov [LIN(fault_eip)], eax
    mov eax, [LIN(resume_at)]
    test eax, eax
    jz .keep
    mov [esp], eax
.keep:
    iretd

main:
    ; build the IDT: vectors 0..0x40 point at their handlers (0 = none)
    lidt [LIN(idt_desc)]

    ; #DE: DIV by zero, faulting EIP is the DIV
    SET_RESUME res1
    xor ecx, ecx
flt1: div ecx
res1: CHECK_EQ dword [LIN(last_vec)], 0, 1
    CHECK_EQ dword [LIN(fault_eip)], LIN(flt1), 2

    ; #UD: UD2
    SET_RESUME res2
flt2: ud2
res2: CHECK_EQ dword [LIN(last_vec)], 6, 3
    CHECK_EQ dword [LIN(fault_eip)], LIN(flt2), 4

    ; #GP(0): write beyond a data segment limit (selector 0x18, limit 0xfff)
    mov ax, 0x18
    mov es, ax
    SET_RESUME res3
    mov dword [es:0xffe], 1
res3: CHECK_EQ dword [LIN(last_vec)], 13, 5
    CHECK_EQ dword [LIN(last_err)], 0, 6

    ; #GP(sel): loading an execute-only code segment into DS
    SET_RESUME res4
    mov ax, 0x28
    mov ds, ax
res4: mov ax, 0x10
    mov ds, ax
    CHECK_EQ dword [LIN(last_vec)], 13, 7
    CHECK_EQ dword [LIN(last_err)], 0x28, 8

    ; #NP(sel): not-present data segment 0x20
    SET_RESUME res5
    mov ax, 0x20
    mov es, ax
res5: CHECK_EQ dword [LIN(last_vec)], 11, 9
    CHECK_EQ dword [LIN(last_err)], 0x20, 10

    ; #GP(0) through a null selector in ES
    xor ax, ax
    mov es, ax
    SET_RESUME res6
    mov eax, [es:0]
res6: CHECK_EQ dword [LIN(last_vec)], 13, 11
    mov ax, 0x10
    mov es, ax

    ; BOUND -> #BR
    SET_RESUME res7
    mov eax, 50
    bound eax, [LIN(bounds)]
res7: CHECK_EQ dword [LIN(last_vec)], 5, 12

    ; INT3 and INTO are traps: EIP after the instruction
    mov dword [LIN(resume_at)], 0
    mov dword [LIN(last_vec)], 0xff
    int3
at8: CHECK_EQ dword [LIN(last_vec)], 3, 13
    CHECK_EQ dword [LIN(fault_eip)], LIN(at8), 14
    mov al, 0x7f
    add al, 1          ; OF=1
    into
at9: CHECK_EQ dword [LIN(last_vec)], 4, 15
    CHECK_EQ dword [LIN(fault_eip)], LIN(at9), 16
    int 0x40
    CHECK_EQ dword [LIN(last_vec)], 0x40, 17

    ; vector outside the IDT limit: #GP(vec*8+2)
    SET_RESUME res10
    int 0x50
res10: CHECK_EQ dword [LIN(last_vec)], 13, 18
    CHECK_EQ dword [LIN(last_err)], 0x50 * 8 + 2, 19

    ; privileged instruction at CPL0 is fine; HLT-free check of CPUID
    xor eax, eax
    cpuid
    CHECK_EQ ebx, 0x756e6547, 20   ; "Genu"

    ; CMPXCHG8B, XADD, BSWAP, BSF
    mov dword [LIN(q)], 1
    mov dword [LIN(q) + 4], 2
    mov eax, 1
    mov edx, 2
    mov ebx, 3
    mov ecx, 4
    cmpxchg8b [LIN(q)]
    jnz .bad
    CHECK_EQ dword [LIN(q) + 4], 4, 21
    mov eax, 5
    xadd [LIN(q)], eax
    CHECK_EQ eax, 3, 22
    CHECK_EQ dword [LIN(q)], 8, 23
    mov eax, 0x12345678
    bswap eax
    CHECK_EQ eax, 0x78563412, 24
    mov eax, 0x100
    bsf ecx, eax
    CHECK_EQ ecx, 8, 25
    EXIT 0
.bad:
    EXIT 99

align 8
gdt:
    dq 0
    DESC 0, 0xfffff, 0x9a, 0xc        ; 0x08 code
    DESC 0, 0xfffff, 0x92, 0xc        ; 0x10 data
    DESC 0, 0xfff, 0x92, 0x4          ; 0x18 data, limit 0xfff, byte granular
    DESC 0, 0xfffff, 0x12, 0xc        ; 0x20 data, not present
    DESC 0, 0xfffff, 0x98, 0xc        ; 0x28 code, execute-only
gdt_end:
gdt_desc:
    dw gdt_end - gdt - 1
    dd LIN(gdt)

align 8
idt:
    IGATE 0x08, LIN(h_0)
    dq 0, 0
    IGATE 0x08, LIN(h_3)
    IGATE 0x08, LIN(h_4)
    IGATE 0x08, LIN(h_5)
    IGATE 0x08, LIN(h_6)
    dq 0, 0, 0, 0
    IGATE 0x08, LIN(h_11)
    dq 0
    IGATE 0x08, LIN(h_13)
    times 0x40 - 14 dq 0
    IGATE 0x08, LIN(h_0x40)
idt_end:
idt_desc:
    dw idt_end - idt - 1
    dd LIN(idt)

align 4
resume_at: dd 0
last_vec: dd 0
last_err: dd 0
fault_eip: dd 0
bounds: dd 0, 10
q: dq 0
