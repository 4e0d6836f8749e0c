; pm_switch.asm: real mode -> 32-bit flat protected mode -> 16-bit
; protected mode -> real mode, the way SeaBIOS switches; unreal mode (a
; 4 GiB FS limit survives the return to real mode); LGDT/SGDT, far calls.
%include "harness.inc"
bits 16
org 0
start:
    cli
    mov ax, cs
    mov ds, ax
    mov ss, ax
    mov sp, 0xfff0
    ; real-mode basics
    mov ax, 0x1234
    push ax
    pop bx
    CHECK_EQ bx, 0x1234, 1
    lgdt [gdt_desc]
    sgdt [gdt_copy]
    mov eax, [gdt_copy + 2]
    CHECK_EQ eax, LIN(gdt), 2
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp dword 0x08:LIN(pm32)

bits 32
pm32:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov fs, ax
    mov esp, 0x9000
    mov dword [0x200000], 0x12345678
    CHECK_EQ dword [0x200000], 0x12345678, 3
    call dword 0x08:LIN(farproc)
    CHECK_EQ eax, 0xabcd, 4
    ; the code segment is 32-bit: a 16-bit push needs 66h
    push word 0x5555
    pop ax
    CHECK_EQ ax, 0x5555, 5
    str ax
    ; to 16-bit protected mode
    jmp 0x18:pm16

farproc:
    mov eax, 0xabcd
    retf

bits 16
pm16:
    mov ax, 0x20
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, cr0
    and al, 0xfe
    mov cr0, eax
    jmp 0x1000:rm_back
rm_back:
    mov ax, cs
    mov ds, ax
    mov ss, ax
    mov sp, 0xfff0
    ; unreal mode: FS kept its 4 GiB limit and base 0
    xor ax, ax
    mov fs, ax
    mov eax, [fs:dword 0x200000]
    CHECK_EQ eax, 0x12345678, 6
    ; real-mode interrupt through the IVT
    mov word [fs:0x80 * 4], int80
    mov word [fs:0x80 * 4 + 2], 0x1000
    mov ax, 0
    int 0x80
    CHECK_EQ ax, 0x4242, 7
    ; limit check in real mode: word at DS:FFFF would fault, don't test here
    EXIT 0

int80:
    mov ax, 0x4242
    iret

align 8
gdt:
    dq 0
    DESC 0, 0xfffff, 0x9a, 0xc        ; 0x08 flat 32-bit code
    DESC 0, 0xfffff, 0x92, 0xc        ; 0x10 flat 32-bit data
    DESC BASE, 0xffff, 0x9a, 0x0      ; 0x18 16-bit code at BASE
    DESC 0, 0xffff, 0x92, 0x0         ; 0x20 16-bit data
gdt_end:
gdt_desc:
    dw gdt_end - gdt - 1
    dd LIN(gdt)
gdt_copy:
    dw 0
    dd 0
