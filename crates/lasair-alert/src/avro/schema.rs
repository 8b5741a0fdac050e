//! A schema compiled for decoding: named references resolved to shared nodes, names interned.

use std::collections::HashMap;
use std::sync::Arc;

use apache_avro::schema::{Name, RecordSchema, Schema};

use super::AvroError;
use crate::hash::FnvBuild;

/// One node of a compiled schema. Logical types decode as their underlying type.
#[derive(Debug, Clone)]
pub enum Node {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    Fixed(usize),
    Enum(Arc<[Arc<str>]>),
    Array(Box<Node>),
    Map(Box<Node>),
    Union(Box<[Node]>),
    Record(Arc<RecordNode>),
}

/// A record type: its full name, its field names and their nodes, in schema order.
#[derive(Debug)]
pub struct RecordNode {
    pub name: String,
    pub field_names: Box<[Arc<str>]>,
    pub fields: Box<[Node]>,
    /// Each field's name rendered once as a JSON object key, `"name":`.
    pub json_keys: Box<[Box<[u8]>]>,
    index: HashMap<Arc<str>, usize, FnvBuild>,
}

impl RecordNode {
    /// A record type known only by its field names (a record read back from JSON, whose
    /// writer schema is not at hand); its fields' nodes are `Null`, as nothing decodes by it.
    pub fn dynamic(name: &str, field_names: Vec<Arc<str>>) -> Arc<RecordNode> {
        let index = field_names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect();
        Arc::new(RecordNode {
            name: name.to_owned(),
            fields: field_names.iter().map(|_| Node::Null).collect(),
            json_keys: field_names.iter().map(|n| json_key(n)).collect(),
            field_names: field_names.into_boxed_slice(),
            index,
        })
    }

    /// The position of a field, if the record has one of that name.
    pub fn position(&self, field: &str) -> Option<usize> {
        self.index.get(field).copied()
    }
}

/// A parsed schema and its compiled decoding tree.
#[derive(Debug, Clone)]
pub struct CompiledSchema {
    pub root: Node,
    /// The writer schema as canonical JSON (kept so the schema can be reported or re-used).
    pub json: Arc<str>,
}

impl CompiledSchema {
    /// Compiles one schema given as JSON text.
    pub fn parse(json: &str) -> Result<Self, AvroError> {
        let schema = Schema::parse_str(json).map_err(|e| AvroError::Schema(e.to_string()))?;
        Self::from_schema(&schema, &[])
    }

    /// Compiles a schema whose named types are spread over several JSON documents (as Rubin's
    /// are); the document whose name is `root` (a full name such as `lsst.v10_0.alert`) is the root.
    pub fn parse_list(jsons: &[&str], root: &str) -> Result<Self, AvroError> {
        let schemas = Schema::parse_list(jsons).map_err(|e| AvroError::Schema(e.to_string()))?;
        let top = schemas
            .iter()
            .find(|s| s.name().map(|n| n.fullname(None) == root).unwrap_or(false))
            .ok_or_else(|| AvroError::Schema(format!("no type named {root} among the schemas")))?;
        Self::from_schema(top, &schemas)
    }

    /// Compiles an `apache-avro` schema; `others` resolve named references it does not define.
    pub fn from_schema(schema: &Schema, others: &[Schema]) -> Result<Self, AvroError> {
        let mut names = HashMap::new();
        for s in others.iter().chain(std::iter::once(schema)) {
            collect_names(s, &mut names);
        }
        let mut compiler = Compiler {
            names,
            done: HashMap::new(),
        };
        let root = compiler.compile(schema)?;
        let json = schema.canonical_form();
        Ok(Self {
            root,
            json: json.into(),
        })
    }

    /// The root record, when the schema is a record (alert schemas always are).
    pub fn root_record(&self) -> Option<&Arc<RecordNode>> {
        match &self.root {
            Node::Record(r) => Some(r),
            _ => None,
        }
    }
}

fn collect_names<'a>(schema: &'a Schema, names: &mut HashMap<Name, &'a Schema>) {
    match schema {
        Schema::Record(r) => {
            names.insert(r.name.clone(), schema);
            for f in &r.fields {
                collect_names(&f.schema, names);
            }
        }
        Schema::Enum(e) => {
            names.insert(e.name.clone(), schema);
        }
        Schema::Fixed(f) => {
            names.insert(f.name.clone(), schema);
        }
        Schema::Array(a) => collect_names(&a.items, names),
        Schema::Map(m) => collect_names(&m.types, names),
        Schema::Union(u) => u.variants().iter().for_each(|v| collect_names(v, names)),
        _ => {}
    }
}

struct Compiler<'a> {
    names: HashMap<Name, &'a Schema>,
    done: HashMap<Name, Arc<RecordNode>>,
}

impl Compiler<'_> {
    fn compile(&mut self, schema: &Schema) -> Result<Node, AvroError> {
        Ok(match schema {
            Schema::Null => Node::Null,
            Schema::Boolean => Node::Boolean,
            Schema::Int | Schema::Date | Schema::TimeMillis => Node::Int,
            Schema::Long
            | Schema::TimeMicros
            | Schema::TimestampMillis
            | Schema::TimestampMicros
            | Schema::TimestampNanos
            | Schema::LocalTimestampMillis
            | Schema::LocalTimestampMicros
            | Schema::LocalTimestampNanos => Node::Long,
            Schema::Float => Node::Float,
            Schema::Double => Node::Double,
            Schema::Bytes | Schema::BigDecimal => Node::Bytes,
            Schema::String | Schema::Uuid => Node::String,
            Schema::Fixed(f) => Node::Fixed(f.size),
            Schema::Duration => Node::Fixed(12),
            Schema::Decimal(d) => self.compile(&d.inner)?,
            Schema::Enum(e) => {
                Node::Enum(e.symbols.iter().map(|s| Arc::from(s.as_str())).collect())
            }
            Schema::Array(a) => Node::Array(Box::new(self.compile(&a.items)?)),
            Schema::Map(m) => Node::Map(Box::new(self.compile(&m.types)?)),
            Schema::Union(u) => Node::Union(
                u.variants()
                    .iter()
                    .map(|v| self.compile(v))
                    .collect::<Result<_, _>>()?,
            ),
            Schema::Record(r) => Node::Record(self.record(r)?),
            Schema::Ref { name } => {
                if let Some(done) = self.done.get(name) {
                    return Ok(Node::Record(done.clone()));
                }
                let target = *self
                    .names
                    .get(name)
                    .ok_or_else(|| AvroError::Schema(format!("unknown type {name}")))?;
                self.compile(target)?
            }
        })
    }

    fn record(&mut self, r: &RecordSchema) -> Result<Arc<RecordNode>, AvroError> {
        if let Some(done) = self.done.get(&r.name) {
            return Ok(done.clone());
        }
        let field_names: Box<[Arc<str>]> = r
            .fields
            .iter()
            .map(|f| Arc::from(f.name.as_str()))
            .collect();
        let fields = r
            .fields
            .iter()
            .map(|f| self.compile(&f.schema))
            .collect::<Result<_, _>>()?;
        let index = field_names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect();
        let json_keys = field_names.iter().map(|n| json_key(n)).collect();
        let node = Arc::new(RecordNode {
            name: r.name.fullname(None),
            field_names,
            fields,
            json_keys,
            index,
        });
        self.done.insert(r.name.clone(), node.clone());
        Ok(node)
    }
}

/// `"name":` with the name escaped as JSON requires (Avro names never need it, but a schema is
/// input like any other).
fn json_key(name: &str) -> Box<[u8]> {
    let mut key = Vec::with_capacity(name.len() + 3);
    super::datum::write_scalar(&mut key, name);
    key.push(b':');
    key.into_boxed_slice()
}
