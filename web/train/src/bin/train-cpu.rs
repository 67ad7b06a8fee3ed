//! The training worker on the CPU backend.

fn main() {
    rlaif_train::start(rlaif_train::BackendKind::Cpu);
}
