; paging.asm: 32-bit two-level paging: identity map through a page table,
; a 4 MiB PSE page, accessed/dirty bits written back, #PF with CR2 and error
; codes (not present, write to read-only with CR0.WP), INVLPG after a PTE
; change, CR3 reload; then PAE three-level paging with a 2 MiB page.
%include "harness.inc"
%define PD   0x100000
%define PT   0x101000
%define PDPT 0x102000
%define PAEPD 0x103000
%define PAEPT 0x104000
bits 16
org 0
    ENTER_PM32 main

h_pf:
    pop dword [LIN(last_err)]
    mov dword [LIN(last_vec)], 14
    mov eax, cr2
    mov [LIN(last_cr2)], eax
    mov eax, [LIN(resume_at)]
    mov [esp], eax
    iretd

main:
    lidt [LIN(idt_desc)]
    ; page directory: entry 0 -> PT (identity 0-4 MiB), entry 2 -> 4 MiB
    ; page at physical 12 MiB (PSE), entry 3 not present
    mov edi, PD
    mov ecx, 1024
    xor eax, eax
    rep stosd
    mov dword [PD + 0], PT | 3
    mov dword [PD + 2 * 4], 0xc00000 | 0x83
    mov edi, PT
    mov eax, 3
    mov ecx, 1024
.fill:
    stosd
    add eax, 0x1000
    loop .fill
    ; page 0x300 (lin 0x300000) read-only
    and dword [PT + 0x300 * 4], ~2
    mov eax, PD
    mov cr3, eax
    mov eax, cr4
    or eax, 0x10            ; PSE
    mov cr4, eax
    mov eax, cr0
    or eax, 0x80010000      ; PG | WP
    mov cr0, eax
    jmp .paged
.paged:
    ; identity access works and sets A and D in the PTE of 0x200000
    mov dword [0x200010], 0xcafe
    CHECK_EQ dword [0x200010], 0xcafe, 1
    mov eax, [PT + 0x200 * 4]
    and eax, 0x60
    CHECK_EQ eax, 0x60, 2
    ; reading a fresh page sets A but not D
    mov eax, [0x250000]
    mov eax, [PT + 0x250 * 4]
    and eax, 0x60
    CHECK_EQ eax, 0x20, 3
    ; 4 MiB page: lin 0x800000 -> phys 0xc00000 (check through identity
    ; would need phys 0xc00000 mapped: use the PDE's dirty bit instead)
    mov dword [0x800100], 0x5a5a
    CHECK_EQ dword [0x800100], 0x5a5a, 4
    mov eax, [PD + 2 * 4]
    and eax, 0x60
    CHECK_EQ eax, 0x60, 5
    ; not-present: #PF err 2 (write, not present), CR2 = address
    mov dword [LIN(resume_at)], LIN(.r1)
    mov dword [0xc00004], 1
.r1:
    CHECK_EQ dword [LIN(last_vec)], 14, 6
    CHECK_EQ dword [LIN(last_err)], 2, 7
    CHECK_EQ dword [LIN(last_cr2)], 0xc00004, 8
    ; write to read-only page with WP: err 3
    mov dword [LIN(last_vec)], 0
    mov dword [LIN(resume_at)], LIN(.r2)
    mov dword [0x300000], 1
.r2:
    CHECK_EQ dword [LIN(last_vec)], 14, 9
    CHECK_EQ dword [LIN(last_err)], 3, 10
    ; without WP the supervisor may write
    mov eax, cr0
    and eax, ~0x10000
    mov cr0, eax
    mov dword [LIN(last_vec)], 0
    mov dword [0x300000], 7
    CHECK_EQ dword [LIN(last_vec)], 0, 11
    ; INVLPG: remap lin 0x200000 to phys 0x201000 and see the new page
    mov dword [0x201010], 0xbeef
    mov eax, [0x200010]              ; load the old translation
    mov dword [PT + 0x200 * 4], 0x201003
    invlpg [0x200000]
    CHECK_EQ dword [0x200010], 0xbeef, 12
    mov dword [PT + 0x200 * 4], 0x200003
    mov eax, cr3
    mov cr3, eax
    CHECK_EQ dword [0x200010], 0xcafe, 13
    ; code pages: lin 0x280000 runs phys 0x280000 ("mov eax, 1; ret"); after
    ; a remap to phys 0x281000 ("mov eax, 2; ret") and INVLPG the new code
    ; runs, with data accesses to 64 other pages in between (TLB refills);
    ; after the mapping goes back, a CR3 reload runs the first code again
    mov dword [0x280000], 0x000001b8
    mov word [0x280004], 0xc300
    mov dword [0x281000], 0x000002b8
    mov word [0x281004], 0xc300
    mov esi, 0x280000
    call esi                         ; decoded
    call esi                         ; its decode checked and in use
    CHECK_EQ eax, 1, 16
    mov dword [PT + 0x280 * 4], 0x281003
    mov ecx, 64
    mov ebx, 0x300000
.touch:
    mov eax, [ebx]
    add ebx, 0x1000
    loop .touch
    invlpg [0x280000]
    call esi
    CHECK_EQ eax, 2, 17
    mov dword [PT + 0x280 * 4], 0x280003
    call esi
    mov eax, cr3
    mov cr3, eax
    call esi
    CHECK_EQ eax, 1, 18

    ; PAE: PDPT[0] -> PAEPD; PD[0] -> PAEPT (4 KiB pages 0-2 MiB),
    ; PD[1] -> 2 MiB page at physical 6 MiB (lin 2-4 MiB)
    mov eax, cr0
    and eax, 0x7fffffff
    mov cr0, eax
    mov edi, PDPT
    mov ecx, 0x3000 / 4
    xor eax, eax
    rep stosd
    mov dword [PDPT], PAEPD | 1
    mov dword [PAEPD], PAEPT | 3
    mov dword [PAEPD + 8], 0x600000 | 0x83
    mov edi, PAEPT
    mov eax, 3
    mov ecx, 512
.fill2:
    mov [edi], eax
    mov dword [edi + 4], 0
    add edi, 8
    add eax, 0x1000
    loop .fill2
    mov dword [0x600040], 0x77   ; physical, before paging
    mov eax, cr4
    or eax, 0x20
    mov cr4, eax
    mov eax, PDPT
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    CHECK_EQ dword [0x200040], 0x77, 14
    CHECK_EQ dword [LIN(magic)], 0x1234abcd, 15
    EXIT 0

align 8
gdt:
    dq 0
    DESC 0, 0xfffff, 0x9a, 0xc
    DESC 0, 0xfffff, 0x92, 0xc
gdt_end:
gdt_desc:
    dw gdt_end - gdt - 1
    dd LIN(gdt)
align 8
idt:
    times 14 dq 0
    IGATE 0x08, LIN(h_pf)
idt_end:
idt_desc:
    dw idt_end - idt - 1
    dd LIN(idt)
align 4
resume_at: dd 0
last_vec: dd 0
last_err: dd 0
last_cr2: dd 0
magic: dd 0x1234abcd
