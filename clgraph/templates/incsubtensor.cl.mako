<%page args="name, ctype, ndim, kinds, y_ndim, set_instead_of_inc"/>\
<%namespace name="c" file="common.mako"/>\
## out = copy of x with x[idx] incremented by (or set to) y, in one pass over x.
## kinds[d] per axis of x: 'i' (an integer index: st{d}), 's' (a slice: start st{d},
## step sp{d}, count cnt{d}), 'u' (a slice without a step: start and count, no
## division) or 'full' (the whole axis). y is read with strides ys* over the indexed
## region's axes (stride 0 where it broadcasts). A 2-D range, the last axis along 0:
## the rest of the position is divided out once per row, not per element (64-bit
## divisions made a 50x32x512 gradient 3 ns per element).
<% kept = [d for d in range(ndim) if kinds[d] != "i"] %>\
__kernel void ${name}(const long n,
% for d in range(ndim):
    const long dim${d}, const long xs${d},${" const long st%d," % d if kinds[d] != "full" else ""}${" const long sp%d," % d if kinds[d] == "s" else ""}${" const long cnt%d," % d if kinds[d] in "su" else ""}
% endfor
% for k in range(len(kept)):
    const long ys${k},
% endfor
    __global const ${ctype} *restrict x, const long x_off,
    __global const ${ctype} *restrict y, const long y_off,
    __global ${ctype} *restrict out, const long out_off)
{
% if ndim:
    const long i${ndim - 1} = get_global_id(0);
    const long row = get_global_id(1);
    const long gid = row * dim${ndim - 1} + i${ndim - 1};
    if (i${ndim - 1} >= dim${ndim - 1} || gid >= n) return;
${c.unravel("row", ndim - 1)}\
% else:
    const long gid = get_global_id(0);
    if (gid >= n) return;
% endif
    const ${ctype} xv = x[x_off${"".join(" + i%d * xs%d" % (d, d) for d in range(ndim))}];
    int inside = 1;
    long yo = y_off;
% for k, d in enumerate(kept):
% if kinds[d] == "s":
    {
        const long q = i${d} - st${d};
        const long pos = q / sp${d};
        inside = inside && (q % sp${d} == 0) && pos >= 0 && pos < cnt${d};
        yo += pos * ys${k};
    }
% elif kinds[d] == "u":
    inside = inside && i${d} >= st${d} && i${d} < st${d} + cnt${d};
    yo += (i${d} - st${d}) * ys${k};
% else:
    yo += i${d} * ys${k};
% endif
% endfor
% for d in range(ndim):
% if kinds[d] == "i":
    inside = inside && (i${d} == st${d});
% endif
% endfor
% if set_instead_of_inc:
    out[out_off + gid] = inside ? y[yo] : xv;
% else:
    out[out_off + gid] = inside ? (${ctype})(xv + y[yo]) : xv;
% endif
}
