//! Rhai modules registered by name, which `import "name" as m;` resolves.

use std::sync::Arc;

use parking_lot::RwLock;
use rhai::module_resolvers::StaticModuleResolver;
use rhai::{EvalAltResult, Module, ModuleResolver, Position, Scope, Shared};

/// The module resolver of one engine: a `StaticModuleResolver` that can grow after
/// the engine was built. It never reads files, so importing any name that was not
/// registered fails with `ErrorModuleNotFound`.
#[derive(Clone, Default)]
pub struct RegisteredModules {
    modules: Arc<RwLock<StaticModuleResolver>>,
}

impl RegisteredModules {
    /// Compiles `source` with `engine`, runs its top-level statements once, and
    /// makes its exported variables and functions importable as `name`. A module
    /// registered again under the same name replaces the old one for later imports.
    pub fn register(
        &self,
        engine: &rhai::Engine,
        name: &str,
        source: &str,
    ) -> Result<(), Box<EvalAltResult>> {
        let mut ast = engine.compile(source)?;
        ast.set_source(name);
        let module = Module::eval_ast_as_new(Scope::new(), &ast, engine)?;
        self.modules.write().insert(name, module);
        Ok(())
    }
}

impl ModuleResolver for RegisteredModules {
    fn resolve(
        &self,
        engine: &rhai::Engine,
        source: Option<&str>,
        path: &str,
        position: Position,
    ) -> Result<Shared<Module>, Box<EvalAltResult>> {
        self.modules.read().resolve(engine, source, path, position)
    }
}
