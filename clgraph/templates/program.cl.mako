<%page args="kernels, fp64, helpers"/>\
<%namespace name="c" file="common.mako"/>\
/* Rendered by clgraph. One program holds every kernel of a compiled function. */
${c.preamble(fp64, helpers)}
% for text in kernels:
${text}
% endfor
