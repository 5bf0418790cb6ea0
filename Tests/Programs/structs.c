/* structs.c - structures, unions, bit fields, arrays, pointers and a linked
 * list, for the debugger's expressions (Tests/WeftDebuggerTests/
 * ExpressionTests.swift) and the DWARF member tests. Built at -O1
 * (structs.wasm) and -O0 (O0/structs.wasm), where every local lives in the
 * frame. Prints a checksum. */
#include "weft_rt.h"

struct point {
    int x;
    int y;
};
struct node {
    int value;
    struct node *next;
};
struct flags {
    unsigned ready : 1;
    unsigned mode : 3;
    int level : 4;
    unsigned char tag;
};
typedef struct {
    char name[8];
    struct point corners[2];
    union {
        int i;
        float f;
    } u;
    short counts[3];
} shape_t;

static struct node nodes[3];
static struct node *head;
static shape_t box = { "box", { { 1, 2 }, { 3, 4 } }, { 7 }, { 5, 5, 5 } };
static struct flags fl;
static int numbers[5] = { 10, 20, 30, 40, 50 };
int total;

/* noinline: a frame of its own, with a pointer walking the list. */
__attribute__((noinline)) static int walk(struct node *list, int limit) {
    int sum = 0;
    int steps = 0;
    for (struct node *p = list; p != 0 && steps < limit; p = p->next) {
        sum += p->value; /* walk body */
        steps++;
    }
    return sum;
}

int main(int argc, char **argv) {
    (void)argv;
    for (int i = 0; i < 3; i++) {
        nodes[i].value = (i + 1) * argc;
        nodes[i].next = i < 2 ? &nodes[i + 1] : 0;
    }
    head = &nodes[0];
    fl.ready = 1;
    fl.mode = 5;
    fl.level = -3;
    fl.tag = 'T';
    struct point here = { argc, -argc };
    box.corners[1].x += here.x;
    total = walk(head, 10) + numbers[argc & 3] + here.y;
    rt_printf("%d %d %s %d\n", total, box.corners[1].x, box.name, (int)fl.mode + fl.level);
    return 0;
}
