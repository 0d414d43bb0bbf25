-- Havlak loop recognition (after Hundt's "Loop Recognition in C++/Java/Go/Scala"):
-- build a large control-flow graph of nested diamonds and loops, then find its loop
-- nest with Havlak's union-find algorithm. Graphs, edge lists and sets are tables.
local passes = tonumber(arg and arg[1]) or 8

---------------------------------------------------------------- CFG
local function newCFG()
  return { blocks = {}, count = 0, start = nil }
end

local function createNode(cfg, name)
  local bb = cfg.blocks[name]
  if bb == nil then
    bb = { name = name, inEdges = {}, outEdges = {} }
    cfg.blocks[name] = bb
    cfg.count = cfg.count + 1
    if cfg.count == 1 then cfg.start = bb end
  end
  return bb
end

local function connect(cfg, from, to)
  local a, b = createNode(cfg, from), createNode(cfg, to)
  a.outEdges[#a.outEdges + 1] = b
  b.inEdges[#b.inEdges + 1] = a
end

local function buildDiamond(cfg, start)
  connect(cfg, start, start + 1)
  connect(cfg, start, start + 2)
  connect(cfg, start + 1, start + 3)
  connect(cfg, start + 2, start + 3)
  return start + 3
end

local function buildStraight(cfg, start, n)
  for i = 0, n - 1 do connect(cfg, start + i, start + i + 1) end
  return start + n
end

local function buildBaseLoop(cfg, from)
  local header = buildStraight(cfg, from, 1)
  local diamond1 = buildDiamond(cfg, header)
  local d11 = buildStraight(cfg, diamond1, 1)
  local diamond2 = buildDiamond(cfg, d11)
  local footer = buildStraight(cfg, diamond2, 1)
  connect(cfg, diamond2, d11)
  connect(cfg, diamond1, header)
  connect(cfg, footer, from)
  return buildStraight(cfg, footer, 1)
end

local function buildGraph(trees, perTree, baseLoops)
  local cfg = newCFG()
  createNode(cfg, 0)
  buildBaseLoop(cfg, 0)
  createNode(cfg, 1)
  connect(cfg, 0, 2)
  local n = 2
  for _ = 1, trees do
    createNode(cfg, n + 1)
    connect(cfg, 2, n + 1)
    n = n + 1
    for _ = 1, perTree do
      local top = n
      n = buildStraight(cfg, n, 1)
      for _ = 1, baseLoops do n = buildBaseLoop(cfg, n) end
      local bottom = buildStraight(cfg, n, 1)
      connect(cfg, n, top)
      n = bottom
    end
    connect(cfg, n, 1)
  end
  return cfg
end

---------------------------------------------------------------- loop structure graph
local loopCounter = 0
local function newLoop(lsg)
  loopCounter = loopCounter + 1
  local loop = { id = loopCounter, children = {}, blocks = {}, parent = nil,
                 isRoot = false, reducible = true, depth = 0, nesting = 0 }
  lsg.loops[#lsg.loops + 1] = loop
  return loop
end

local function setParent(loop, parent)
  loop.parent = parent
  parent.children[#parent.children + 1] = loop
end

local function nestingRec(loop, depth)
  loop.depth = depth
  local children = loop.children
  for i = 1, #children do
    local child = children[i]
    nestingRec(child, depth + 1)
    if loop.nesting < child.nesting + 1 then loop.nesting = child.nesting + 1 end
  end
end

---------------------------------------------------------------- Havlak
local BB_NONHEADER, BB_REDUCIBLE, BB_SELF, BB_IRREDUCIBLE, BB_DEAD = 1, 2, 3, 4, 5
local UNVISITED = -1
local MAXNONBACKPREDS = 32 * 1024

local function findSet(node)
  local path, np = {}, 0
  while node ~= node.parent do
    if node.parent ~= node.parent.parent then np = np + 1; path[np] = node end
    node = node.parent
  end
  for i = 1, np do path[i].parent = node.parent end
  return node
end

-- ordered integer sets: an array for deterministic iteration plus a membership table
local function setAdd(set, v)
  if not set.has[v] then set.has[v] = true; set[#set + 1] = v end
end

local function findLoops(cfg)
  local lsg = { loops = {} }
  local root = newLoop(lsg)
  root.isRoot = true
  if cfg.start == nil then return lsg, root end
  local size = cfg.count
  local nonBackPreds, backPreds, number, header, kind, last, nodes = {}, {}, {}, {}, {}, {}, {}
  for i = 0, size - 1 do
    nonBackPreds[i] = { has = {} }
    backPreds[i] = {}
    nodes[i] = { parent = nil, bb = nil, loop = nil, dfs = 0 }
  end

  -- step a: depth-first numbering (iterative, so deep graphs fit every engine's stack)
  local current = 0
  local stackNode, stackEdge, sp = { cfg.start }, { 0 }, 1
  do
    local n = nodes[0]
    n.parent, n.bb, n.dfs = n, cfg.start, 0
    number[cfg.start] = 0
  end
  while sp > 0 do
    local bb = stackNode[sp]
    local e = stackEdge[sp] + 1
    local out = bb.outEdges
    if e <= #out then
      stackEdge[sp] = e
      local target = out[e]
      if number[target] == nil then
        current = current + 1
        local n = nodes[current]
        n.parent, n.bb, n.dfs = n, target, current
        number[target] = current
        sp = sp + 1
        stackNode[sp], stackEdge[sp] = target, 0
      end
    else
      last[number[bb]] = current
      sp = sp - 1
    end
  end

  local function isAncestor(w, v) return w <= v and v <= last[w] end

  -- step b: classify predecessors as back edges or not
  for w = 0, size - 1 do
    header[w] = 0
    kind[w] = BB_NONHEADER
    local nodeW = nodes[w].bb
    if nodeW == nil then
      kind[w] = BB_DEAD
    else
      local preds = nodeW.inEdges
      for i = 1, #preds do
        local v = number[preds[i]]
        if v ~= nil then
          if isAncestor(w, v) then
            local bp = backPreds[w]; bp[#bp + 1] = v
          else
            setAdd(nonBackPreds[w], v)
          end
        end
      end
    end
  end
  header[0] = 0

  -- step c: bottom-up, collapse each loop body into its header
  for w = size - 1, 0, -1 do
    local nodeW = nodes[w].bb
    if nodeW ~= nil then
      local pool, inPool = {}, {}
      local bp = backPreds[w]
      for i = 1, #bp do
        local v = bp[i]
        if v ~= w then
          local s = findSet(nodes[v])
          if not inPool[s] then inPool[s] = true; pool[#pool + 1] = s end
        else
          kind[w] = BB_SELF
        end
      end
      local work, head = {}, 1
      for i = 1, #pool do work[i] = pool[i] end
      if #pool > 0 then kind[w] = BB_REDUCIBLE end
      while head <= #work do
        local x = work[head]; head = head + 1
        local nbp = nonBackPreds[x.dfs]
        if #nbp > MAXNONBACKPREDS then return lsg, root end
        for i = 1, #nbp do
          local ydash = findSet(nodes[nbp[i]])
          if not isAncestor(w, ydash.dfs) then
            kind[w] = BB_IRREDUCIBLE
            setAdd(nonBackPreds[w], ydash.dfs)
          elseif ydash.dfs ~= w and not inPool[ydash] then
            inPool[ydash] = true
            pool[#pool + 1] = ydash
            work[#work + 1] = ydash
          end
        end
      end
      if #pool > 0 or kind[w] == BB_SELF then
        local loop = newLoop(lsg)
        loop.header = nodeW
        loop.reducible = kind[w] ~= BB_IRREDUCIBLE
        nodes[w].loop = loop
        for i = 1, #pool do
          local node = pool[i]
          header[node.dfs] = w
          node.parent = nodes[w]
          if node.loop ~= nil then setParent(node.loop, loop)
          else loop.blocks[#loop.blocks + 1] = node.bb end
        end
      end
    end
  end

  -- nesting levels
  for i = 1, #lsg.loops do
    local loop = lsg.loops[i]
    if not loop.isRoot and loop.parent == nil then setParent(loop, root) end
  end
  nestingRec(root, 0)
  return lsg, root
end

---------------------------------------------------------------- driver
local cfg = buildGraph(10, 10, 25)
local loops, depthSum, nesting = 0, 0, 0
for _ = 1, passes do
  local lsg, root = findLoops(cfg)
  loops = loops + #lsg.loops - 1 -- not counting the root
  for i = 1, #lsg.loops do depthSum = depthSum + lsg.loops[i].depth end
  nesting = root.nesting
end
-- a small graph rebuilt many times exercises construction as well
local small = 0
for _ = 1, passes * 20 do
  local lsg = findLoops(buildGraph(2, 2, 5))
  small = small + #lsg.loops - 1
end
print(string.format("blocks=%d passes=%d loops=%d depthSum=%d nesting=%d small=%d",
  cfg.count, passes, loops, depthSum, nesting, small))
