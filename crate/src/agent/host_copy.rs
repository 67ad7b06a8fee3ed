//! A copy of a module on the CPU, read back asynchronously.
//!
//! `Module::into_record` and the checkpoint writer read tensors synchronously, which WebGPU in
//! a browser cannot do. Reading every parameter with `into_data_async` first, then rebuilding
//! the module on the CPU with the same structure and parameter ids, lets a run on such a
//! device be saved: to move it to the CPU when the GPU is lost.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::tensor::{Device, Tensor, TensorData};

/// Every float parameter, flattened, with its id and shape, in traversal order.
struct Collect(Vec<(ParamId, Vec<usize>, Tensor<1>)>);

impl ModuleVisitor for Collect {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let value = param.val();
        let dims = value.dims().to_vec();
        let n: usize = dims.iter().product();
        self.0.push((param.id, dims, value.reshape([n])));
    }
}

/// Replaces each float parameter, in the same order, by its data on `device`.
struct Replace {
    data: std::vec::IntoIter<(ParamId, Vec<usize>, TensorData)>,
    device: Device,
    error: Option<String>,
}

impl ModuleMapper for Replace {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let Some((id, dims, data)) = self.data.next() else {
            self.error = Some("the module has more parameters than were read".into());
            return param;
        };
        let Ok(shape) = <[usize; D]>::try_from(dims) else {
            self.error = Some(format!("parameter {id} changed rank"));
            return param;
        };
        let value = Tensor::<1>::from_data(data, &self.device).reshape(shape);
        let mut copy = Param::from_tensor(value);
        copy.id = id;
        copy
    }
}

/// `module` with every parameter on `device` (a CPU device), read back asynchronously in one
/// transfer: the parameters are concatenated on their device first.
pub async fn host_copy<M: Module>(module: &M, device: &Device) -> Result<M, String> {
    let mut collect = Collect(Vec::new());
    module.visit(&mut collect);
    let (ids, flat): (Vec<_>, Vec<_>) = collect
        .0
        .into_iter()
        .map(|(id, dims, tensor)| ((id, dims), tensor))
        .unzip();
    let values = match flat.is_empty() {
        true => Vec::new(),
        false => Tensor::cat(flat, 0)
            .into_data_async()
            .await
            .map_err(|e| format!("reading the parameters back failed: {e:?}"))?
            .try_to_vec::<f32>()
            .map_err(|e| format!("the parameters are not f32: {e:?}"))?,
    };
    let mut data = Vec::with_capacity(ids.len());
    let mut rest = &values[..];
    for (id, dims) in ids {
        let n: usize = dims.iter().product();
        if rest.len() < n {
            return Err("fewer parameter values came back than were sent".into());
        }
        let (head, tail) = rest.split_at(n);
        data.push((id, dims, TensorData::new(head.to_vec(), [n])));
        rest = tail;
    }
    let mut replace = Replace {
        data: data.into_iter(),
        device: device.clone(),
        error: None,
    };
    let copy = module.clone().map(&mut replace);
    match replace.error {
        Some(e) => Err(e),
        None if replace.data.next().is_some() => {
            Err("the module has fewer parameters than were read".into())
        }
        None => Ok(copy),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::nets::ActorCriticConfig;
    use crate::backend::CpuBackend;

    #[test]
    fn the_copy_has_the_same_ids_and_values_on_the_other_device() {
        let from = CpuBackend::NdArray.device().autodiff();
        let to = CpuBackend::Flex.device().autodiff();
        let model = ActorCriticConfig::new(4, 2, true).init(9, &from);
        let copy = crate::agent::ppo::block_on(host_copy(&model, &to)).unwrap();
        let params = |m: &crate::agent::nets::ActorCritic| {
            let mut c = Collect(Vec::new());
            m.visit(&mut c);
            c.0.into_iter()
                .map(|(id, dims, t)| (id, dims, t.into_data().try_to_vec::<f32>().unwrap()))
                .collect::<Vec<_>>()
        };
        let (a, b) = (params(&model), params(&copy));
        // Two MLPs of three layers (weight and bias each), and the log std.
        assert_eq!(a.len(), 13);
        assert_eq!(a, b);
        let record = |m: &crate::agent::nets::ActorCritic| {
            m.clone().into_record().into_bytes().unwrap().to_vec()
        };
        assert_eq!(record(&model), record(&copy));
    }
}
