<%page args="name, ctype, k, rest, index_ctypes"/>\
<%namespace name="c" file="common.mako"/>\
## out[i, r...] = x[idx0[i], ..., idx{k-1}[i], r...]: gather by k integer vectors.
## Negative indices count from the end; an index still out of range reads element 0
## and sets flag[0] = step, which the call reports as IndexOutOfRange.
__kernel void ${name}(const long n, const long inner,
% for j in range(k):
    const long xd${j}, const long xs${j},
    __global const ${index_ctypes[j]} *restrict idx${j}, const long idx${j}_off, const long idx${j}_s,
% endfor
% for d in range(rest):
    const long dim${d}, const long rs${d},
% endfor
    __global const ${ctype} *restrict x, const long x_off,
    __global ${ctype} *restrict out, const long out_off,
    __global int *flag, const int step)
{
    const long gid = get_global_id(0);
    if (gid >= n) return;
    const long i = gid / inner;
    long off = x_off;
    int bad = 0;
% for j in range(k):
    {
        long a = (long)idx${j}[idx${j}_off + i * idx${j}_s];
        if (a < 0) a += xd${j};
        if (a < 0 || a >= xd${j}) { bad = 1; a = 0; }
        off += a * xs${j};
    }
% endfor
% if rest:
${c.unravel("gid % inner", rest, dim="dim", idx="r")}\
    off += ${" + ".join("r%d * rs%d" % (d, d) for d in range(rest))};
% endif
    if (bad) { flag[0] = step; out[out_off + gid] = 0; return; }
    out[out_off + gid] = x[off];
}
