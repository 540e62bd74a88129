<%page args="name, ctype, k, ndim, y_rest, index_ctypes, set_instead_of_inc"/>\
<%namespace name="c" file="common.mako"/>\
## out = x with y[i, r...] added at (or stored to) x[idx0[i], ..., idx{k-1}[i], r...].
## One work-item per element of x walks the m indices in order, so repeated indices
## accumulate in a fixed order (same result on every device, no atomics); cost is
## O(x.size * m). Work-item 0 also checks every index and sets flag[0] = step.
__kernel void ${name}(const long n, const long m,
% for d in range(ndim):
    const long dim${d}, const long xs${d},
% endfor
% for j in range(k):
    __global const ${index_ctypes[j]} *restrict idx${j}, const long idx${j}_off, const long idx${j}_s,
% endfor
    const long ys_i,
% for d in range(y_rest):
    const long ys${d},
% endfor
    __global const ${ctype} *restrict x, const long x_off,
    __global const ${ctype} *restrict y, const long y_off,
    __global ${ctype} *restrict out, const long out_off,
    __global int *flag, const int step)
{
    const long gid = get_global_id(0);
    if (gid >= n) return;
${c.unravel("gid", ndim)}\
    ${ctype} acc = x[x_off${"".join(" + i%d * xs%d" % (d, d) for d in range(ndim))}];
    const long yrest = y_off${"".join(" + i%d * ys%d" % (k + d, d) for d in range(y_rest))};
    for (long t = 0; t < m; ++t) {
        int hit = 1;
% for j in range(k):
        {
            long a = (long)idx${j}[idx${j}_off + t * idx${j}_s];
            if (a < 0) a += dim${j};
            if (gid == 0 && (a < 0 || a >= dim${j})) flag[0] = step;
            hit = hit && (a == i${j});
        }
% endfor
% if set_instead_of_inc:
        if (hit) acc = y[yrest + t * ys_i];
% else:
        if (hit) acc += y[yrest + t * ys_i];
% endif
    }
    out[out_off + gid] = acc;
}
