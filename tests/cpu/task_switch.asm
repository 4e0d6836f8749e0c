; task_switch.asm: hardware task switches through 32-bit TSSs (CALL to a
; TSS with IRET back through the back link and NT, JMP through a task gate
; and back, INT through an IDT task gate) and a 16-bit TSS; busy bits,
; CR0.TS, saved and loaded register state.
%include "harness.inc"
bits 16
org 0
    ENTER_PM32 main

; task 2 (32-bit TSS, reached by CALL and by INT): records and returns
task2:
    pushfd
    pop eax
    mov [LIN(t2_flags)], eax
    str ax
    mov [LIN(t2_tr)], ax
    inc dword [LIN(t2_count)]
    mov ebx, 0x2222
    iretd
    jmp task2

; task 3 (16-bit TSS)
bits 16
task3:
    mov ax, 0x3333
    mov [dword LIN(t3_mark)], ax
    iret
    jmp task3
bits 32

; task 4 (reached by JMP through a task gate): jumps back
task4:
    mov dword [LIN(t4_mark)], 0x4444
    pushfd
    pop eax
    mov [LIN(t4_flags)], eax
    jmp 0x18:0
    jmp task4

main:
    lidt [LIN(idt_desc)]
    mov ax, 0x18
    ltr ax
    mov ebx, 0x1111
    call 0x20:0
    ; back in task 1
    CHECK_EQ dword [LIN(t2_count)], 1, 1
    CHECK_EQ word [LIN(t2_tr)], 0x20, 2
    mov eax, [LIN(t2_flags)]
    and eax, 0x4000
    CHECK_EQ eax, 0x4000, 3                  ; NT in the called task
    CHECK_EQ word [LIN(tss2)], 0x18, 4      ; back link
    CHECK_EQ ebx, 0x1111, 5                  ; our EBX restored
    CHECK_EQ dword [LIN(tss2) + 0x34], 0x2222, 6 ; task 2's EBX saved
    mov al, [LIN(gdt) + 0x20 + 5]
    CHECK_EQ al, 0x89, 7                     ; task 2 no longer busy
    mov al, [LIN(gdt) + 0x18 + 5]
    CHECK_EQ al, 0x8b, 8                     ; task 1 busy
    mov eax, cr0
    and eax, 8
    CHECK_EQ eax, 8, 9                       ; CR0.TS
    clts
    pushfd
    pop eax
    and eax, 0x4000
    CHECK_EQ eax, 0, 10                      ; NT cleared by IRET in task 1

    ; JMP through the task gate at 0x30 to task 4, which jumps back
    jmp 0x30:0
    CHECK_EQ dword [LIN(t4_mark)], 0x4444, 11
    mov eax, [LIN(t4_flags)]
    and eax, 0x4000
    CHECK_EQ eax, 0, 12                      ; JMP does not nest
    mov al, [LIN(gdt) + 0x28 + 5]
    CHECK_EQ al, 0x89, 13                    ; the JMP back cleared task 4's busy bit

    ; INT 0x41 through a task gate in the IDT to task 2
    int 0x41
    CHECK_EQ dword [LIN(t2_count)], 2, 14

    ; CALL a 16-bit TSS
    call 0x38:0
    CHECK_EQ word [LIN(t3_mark)], 0x3333, 15
    EXIT 0

align 8
gdt:
    dq 0
    DESC 0, 0xfffff, 0x9a, 0xc              ; 0x08 code
    DESC 0, 0xfffff, 0x92, 0xc              ; 0x10 data
    DESC LIN(tss1), 0x67, 0x89, 0           ; 0x18 TSS 1 (32-bit)
    DESC LIN(tss2), 0x67, 0x89, 0           ; 0x20 TSS 2
    DESC LIN(tss4), 0x67, 0x89, 0           ; 0x28 TSS 4
    dw 0, 0x28, 0x8500, 0                   ; 0x30 task gate -> TSS 4
    DESC LIN(tss3), 0x2b, 0x81, 0           ; 0x38 TSS 3 (16-bit)
    DESC BASE, 0xffff, 0x9a, 0              ; 0x40 16-bit code at BASE
gdt_end:
gdt_desc:
    dw gdt_end - gdt - 1
    dd LIN(gdt)

align 8
idt:
    times 0x41 dq 0
    dw 0, 0x20, 0x8500, 0                   ; 0x41 task gate -> TSS 2
idt_end:
idt_desc:
    dw idt_end - idt - 1
    dd LIN(idt)

%macro TSS32 2 ; eip, esp
    dd 0                    ; back link
    dd 0x90000, 0x10        ; esp0, ss0
    dd 0, 0, 0, 0
    dd 0                    ; cr3
    dd %1                   ; eip
    dd 2                    ; eflags
    dd 0, 0, 0, 0           ; eax ecx edx ebx
    dd %2, 0, 0, 0          ; esp ebp esi edi
    dd 0x10, 0x08, 0x10, 0x10, 0x10, 0x10 ; es cs ss ds fs gs
    dd 0                    ; ldt
    dw 0, 0x68              ; trap, iomap base
%endmacro
align 16
tss1: TSS32 0, 0
tss2: TSS32 LIN(task2), 0x80000
tss4: TSS32 LIN(task4), 0x70000
tss3:                       ; 16-bit TSS: code in the 16-bit segment 0x40
    dw 0                    ; link
    dw 0x6000, 0x10, 0, 0, 0, 0 ; sp0 ss0 sp1 ss1 sp2 ss2
    dw task3 - $$           ; ip within segment 0x40
    dw 2                    ; flags
    dw 0, 0, 0, 0, 0x6000, 0, 0, 0 ; ax cx dx bx sp bp si di
    dw 0x10, 0x40, 0x10, 0x10 ; es cs ss ds
    dw 0                    ; ldt
align 4
t2_flags: dd 0
t2_tr: dd 0
t2_count: dd 0
t3_mark: dd 0
t4_mark: dd 0
t4_flags: dd 0
