/**
 * Network: the aws target's VPC. Public subnets (load balancers, the NAT gateway) and private
 * subnets (nodes, RDS, ElastiCache) in each availability zone, tagged for the AWS load balancer
 * integration, with one NAT gateway so private nodes can pull images.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

export interface NetworkArgs {
  /**
   * VPC CIDR (a /16 to /20: it is split into 16 equal subnets).
   * @default "10.0.0.0/16"
   * @example "10.20.0.0/16"
   */
  cidr?: string;
  /**
   * Availability zones to spread subnets over (EKS needs at least 2).
   * @default 2
   * @example 3
   */
  availabilityZones?: number;
  /**
   * Tags on every resource.
   * @default {}
   * @example { team: "platform" }
   */
  tags?: Record<string, string>;
}

/** The `index`-th of 2^`newBits` equal subnets of `cidr`: subnetCidr("10.0.0.0/16", 4, 1) → "10.0.16.0/20". */
export function subnetCidr(cidr: string, newBits: number, index: number): string {
  const [ip, bitsText] = cidr.split("/");
  const bits = Number(bitsText);
  const base = ip!.split(".").reduce((acc, octet) => (acc << 8) + Number(octet), 0) >>> 0;
  const prefix = bits + newBits;
  const start = (base + index * 2 ** (32 - prefix)) >>> 0;
  return `${[24, 16, 8, 0].map((shift) => (start >>> shift) & 255).join(".")}/${prefix}`;
}

export class Network extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>;
  readonly cidr: string;
  readonly publicSubnetIds: pulumi.Output<string>[];
  readonly privateSubnetIds: pulumi.Output<string>[];

  constructor(name: string, args: NetworkArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    const cidr = args.cidr ?? "10.0.0.0/16";
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
    if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) < 16 || Number(m[5]) > 20) {
      throw new pulumi.RunError(`Network "${name}": cidr must be an IPv4 CIDR from /16 to /20, got "${cidr}"`);
    }
    const zones = args.availabilityZones ?? 2;
    if (!Number.isInteger(zones) || zones < 2 || zones > 6) {
      throw new pulumi.RunError(`Network "${name}": availabilityZones must be an integer from 2 to 6`);
    }
    super("hotswap:index:Network", name, {}, opts);
    const tags = { "app.kubernetes.io/part-of": "hotswap", ...args.tags };
    const opt = { parent: this };
    this.cidr = cidr;

    const vpc = new aws.ec2.Vpc(`${name}-vpc`, { cidrBlock: cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: { ...tags, Name: name } }, opt);
    this.vpcId = vpc.id;
    const azs = aws.getAvailabilityZonesOutput({ state: "available" }, opt);
    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: { ...tags, Name: name } }, opt);

    const publicRoutes = new aws.ec2.RouteTable(
      `${name}-public-routes`,
      { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags: { ...tags, Name: `${name}-public` } },
      opt,
    );
    const publicSubnets = Array.from({ length: zones }, (_, i) => {
      const subnet = new aws.ec2.Subnet(
        `${name}-public-${i}`,
        {
          vpcId: vpc.id,
          cidrBlock: subnetCidr(cidr, 4, i),
          availabilityZone: azs.names[i],
          mapPublicIpOnLaunch: true,
          tags: { ...tags, Name: `${name}-public-${i}`, "kubernetes.io/role/elb": "1" },
        },
        opt,
      );
      new aws.ec2.RouteTableAssociation(`${name}-public-${i}-routes`, { subnetId: subnet.id, routeTableId: publicRoutes.id }, opt);
      return subnet;
    });

    // One NAT gateway: private nodes reach registries through it. (One per zone survives a zone outage at triple the cost.)
    const eip = new aws.ec2.Eip(`${name}-nat-ip`, { domain: "vpc", tags: { ...tags, Name: `${name}-nat` } }, opt);
    const nat = new aws.ec2.NatGateway(
      `${name}-nat`,
      { subnetId: publicSubnets[0]!.id, allocationId: eip.id, tags: { ...tags, Name: name } },
      { ...opt, dependsOn: [igw] },
    );
    const privateRoutes = new aws.ec2.RouteTable(
      `${name}-private-routes`,
      { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }], tags: { ...tags, Name: `${name}-private` } },
      opt,
    );
    const privateSubnets = Array.from({ length: zones }, (_, i) => {
      const subnet = new aws.ec2.Subnet(
        `${name}-private-${i}`,
        {
          vpcId: vpc.id,
          cidrBlock: subnetCidr(cidr, 4, 8 + i),
          availabilityZone: azs.names[i],
          mapPublicIpOnLaunch: false,
          tags: { ...tags, Name: `${name}-private-${i}`, "kubernetes.io/role/internal-elb": "1" },
        },
        opt,
      );
      new aws.ec2.RouteTableAssociation(`${name}-private-${i}-routes`, { subnetId: subnet.id, routeTableId: privateRoutes.id }, opt);
      return subnet;
    });

    this.publicSubnetIds = publicSubnets.map((s) => s.id);
    this.privateSubnetIds = privateSubnets.map((s) => s.id);
    this.registerOutputs({ vpcId: this.vpcId, publicSubnetIds: this.publicSubnetIds, privateSubnetIds: this.privateSubnetIds });
  }
}
