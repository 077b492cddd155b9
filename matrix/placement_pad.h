/* Placement-only experiments (matrix/placement.matrix, axis "placement").
 *
 * Force-included (-include) in every translation unit: FB_PLACEMENT_PAD unused
 * bytes at the top of the unit's code.  Every function after them moves, and
 * not one instruction of any function changes (the asm capture's code_hash
 * proves it for every cell).  A verdict between such configurations is a
 * false call by construction: the matrix measures how often that happens.
 * The pad is a multiple of 16 bytes, the functions' alignment, so what moves
 * is whole functions, not the padding inside them.
 */
#ifndef FB_PLACEMENT_PAD_H
#define FB_PLACEMENT_PAD_H
#define FB_PLACEMENT_STR2(x) #x
#define FB_PLACEMENT_STR(x) FB_PLACEMENT_STR2(x)
__asm__(".pushsection .text\n"
        ".p2align 4\n"
        ".skip " FB_PLACEMENT_STR(FB_PLACEMENT_PAD) "\n"
        ".popsection\n");
#endif
