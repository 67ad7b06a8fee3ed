//! The training worker on WebGPU (burn's wgpu backend).

fn main() {
    rlaif_train::start(rlaif_train::BackendKind::Gpu);
}
