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

impl Node {
    /// Whether a value of this type can take no bytes at all (null, an empty record, a fixed
    /// of size 0). Every other type takes at least one byte: a varint, a length, a branch
    /// index, or the zero that ends an array or map.
    pub fn encodes_empty(&self) -> bool {
        match self {
            Node::Null | Node::Fixed(0) => true,
            Node::Record(r) => r.fields.iter().all(Node::encodes_empty),
            _ => false,
        }
    }
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
            open: Vec::new(),
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
    /// The records being compiled, outermost first: a reference to one of them is a type
    /// that contains itself.
    open: Vec<Name>,
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
                self.refuse_recursion(name)?;
                let target = *self
                    .names
                    .get(name)
                    .ok_or_else(|| AvroError::Schema(format!("unknown type {name}")))?;
                self.compile(target)?
            }
        })
    }

    /// A recursive type (a record holding itself, directly or through other types) is
    /// refused: no alert schema has one, and decoding one would need a depth bound of its own.
    fn refuse_recursion(&self, name: &Name) -> Result<(), AvroError> {
        let Some(start) = self.open.iter().position(|n| n == name) else {
            return Ok(());
        };
        let cycle: Vec<String> = self.open[start..]
            .iter()
            .chain(std::iter::once(name))
            .map(|n| n.fullname(None))
            .collect();
        Err(AvroError::Schema(format!(
            "recursive type {} (not supported: no alert schema refers to itself)",
            cycle.join(" -> ")
        )))
    }

    fn record(&mut self, r: &RecordSchema) -> Result<Arc<RecordNode>, AvroError> {
        if let Some(done) = self.done.get(&r.name) {
            return Ok(done.clone());
        }
        self.refuse_recursion(&r.name)?;
        let field_names: Box<[Arc<str>]> = r
            .fields
            .iter()
            .map(|f| Arc::from(f.name.as_str()))
            .collect();
        self.open.push(r.name.clone());
        let fields = r
            .fields
            .iter()
            .map(|f| self.compile(&f.schema))
            .collect::<Result<_, _>>();
        self.open.pop();
        let fields = fields?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_type_that_contains_itself_is_refused_with_its_cycle() {
        let cases = [
            (
                r#"{"type":"record","name":"r","fields":[{"name":"n","type":["null","r"]}]}"#,
                "r -> r",
            ),
            (
                r#"{"type":"record","name":"a","fields":[{"name":"b","type":["null",
                {"type":"record","name":"b","fields":[{"name":"a","type":["null","a"]}]}]}]}"#,
                "a -> b -> a",
            ),
            (
                r#"{"type":"record","name":"t","fields":[{"name":"kids","type":{"type":"array","items":"t"}}]}"#,
                "t -> t",
            ),
        ];
        for (json, cycle) in cases {
            let err = CompiledSchema::parse(json).unwrap_err().to_string();
            assert!(err.contains(&format!("recursive type {cycle} ")), "{err}");
        }
    }

    #[test]
    fn a_named_type_used_twice_side_by_side_is_not_recursion() {
        let json = r#"{"type":"record","name":"a","fields":[
            {"name":"x","type":{"type":"record","name":"p","fields":[{"name":"v","type":"int"}]}},
            {"name":"y","type":"p"},{"name":"z","type":{"type":"array","items":"p"}}]}"#;
        let schema = CompiledSchema::parse(json).expect("not recursive");
        assert_eq!(schema.root_record().map(|r| r.fields.len()), Some(3));
    }

    #[test]
    fn a_schema_nested_past_the_json_depth_limit_is_an_error_not_a_crash() {
        let depth = 10_000;
        let json = format!(
            "{}\"int\"{}",
            r#"{"type":"array","items":"#.repeat(depth),
            "}".repeat(depth)
        );
        assert!(CompiledSchema::parse(&json).is_err());
    }

    #[test]
    fn types_that_take_no_bytes_are_known() {
        let empty = |json: &str| {
            CompiledSchema::parse(json)
                .expect("schema")
                .root
                .encodes_empty()
        };
        assert!(empty(r#""null""#));
        assert!(empty(r#"{"type":"record","name":"e","fields":[]}"#));
        assert!(empty(
            r#"{"type":"record","name":"e","fields":[{"name":"n","type":"null"},
            {"name":"f","type":{"type":"fixed","name":"f0","size":0}}]}"#
        ));
        assert!(!empty(r#"{"type":"array","items":"null"}"#));
        assert!(!empty(r#"["null"]"#));
        assert!(!empty(
            r#"{"type":"record","name":"e","fields":[{"name":"b","type":"boolean"}]}"#
        ));
    }
}
