"""Theano 0.8's clgraph.tensor.nnet.conv.conv2d spelling (filter_shape before
image_shape): the same convolution as T.nnet.conv2d."""
from .abstract_conv import conv2d as _conv2d

__all__ = ["conv2d"]


def conv2d(input, filters, filter_shape=None, image_shape=None, border_mode="valid", subsample=(1, 1),
           **kwargs):
    return _conv2d(input, filters, input_shape=kwargs.pop("input_shape", image_shape), filter_shape=filter_shape,
                   border_mode=border_mode, subsample=subsample, **kwargs)
